// A synchronous ONNX Runtime session on the CPU execution provider. The Engine interface the
// scheduler drives is synchronous, and onnxruntime-node's public InferenceSession.run only wraps
// its native binding's synchronous run in a promise (setImmediate, then the native call); so this
// file opens the binding itself (onnxruntime-node/dist/binding.js, which the package documents as
// "a simple synchronized inference session object wrap"). That is an internal path: the
// dependency is pinned to one version (1.22.0), and a changed binding fails here, at open, with
// a message saying so, not later inside a pass.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { Tensor as OrtTensor } from "onnxruntime-node";

export { OrtTensor };

interface ValueMetadata {
  name: string;
  isTensor: boolean;
  symbolicDimensions: string[];
  shape: number[];
  /** ONNX element type: 1 float32, 7 int64, 10 float16. */
  type: number;
}

interface NativeSession {
  loadModel(path: string, options: object): void;
  readonly inputMetadata: ValueMetadata[];
  readonly outputMetadata: ValueMetadata[];
  run(feeds: object, fetches: object, options: object): Record<string, OrtValue>;
  dispose(): void;
}

interface OrtValue {
  type: string;
  data: unknown;
  dims: readonly number[];
}

interface BindingModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt: () => void;
}

function loadBinding(): BindingModule {
  const require = createRequire(import.meta.url);
  const mod = require("onnxruntime-node/dist/binding.js") as Partial<BindingModule>;
  if (typeof mod.initOrt !== "function" || typeof mod.binding?.InferenceSession !== "function")
    throw new Error(
      "onnxruntime-node: its native binding (dist/binding.js) no longer exports initOrt and binding.InferenceSession; @neox/convert pins onnxruntime-node 1.22.0",
    );
  return mod as BindingModule;
}

export interface OrtSessionOptions {
  /** Intra-op threads (default: ONNX Runtime's choice, one per core). */
  threads?: number;
}

export interface OrtOutput {
  data: Float32Array | Uint16Array | BigInt64Array;
  dims: readonly number[];
}

export class OrtSession {
  private readonly native: NativeSession;
  readonly inputs: readonly ValueMetadata[];
  readonly outputs: readonly ValueMetadata[];

  constructor(
    readonly path: string,
    opts: OrtSessionOptions = {},
  ) {
    if (!existsSync(path)) throw new Error(`onnxruntime: ${path}: no such file`);
    const b = loadBinding();
    b.initOrt();
    this.native = new b.binding.InferenceSession();
    this.native.loadModel(path, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
    });
    this.inputs = this.native.inputMetadata;
    this.outputs = this.native.outputMetadata;
  }

  input(name: string): ValueMetadata | undefined {
    return this.inputs.find((i) => i.name === name);
  }

  output(name: string): ValueMetadata | undefined {
    return this.outputs.find((o) => o.name === name);
  }

  /** Runs the graph on `feeds`; returns every output by name. */
  run(feeds: Record<string, OrtTensor>): Record<string, OrtOutput> {
    const fetches = Object.fromEntries(this.outputs.map((o) => [o.name, null]));
    const out = this.native.run(feeds, fetches, {});
    const res: Record<string, OrtOutput> = {};
    for (const [k, v] of Object.entries(out)) res[k] = { data: v.data as OrtOutput["data"], dims: v.dims };
    return res;
  }

  dispose(): void {
    this.native.dispose();
  }
}
