// The parameter registry. Layers declare their parameters by GPT-NeoX's names while the model is
// built (a ParamCollector per module path); the registry then lays them all out in one FlatParams
// (flat fp32 master weights and gradients, decay group first, as AdamW and the all-reduce want
// them) and binds each layer's Param to its view. Layers read `this.weight.t`; nothing looks a
// parameter up by string in `forward`.
// Weight-decay groups as GPT-NeoX's get_params_for_weight_decay_optimization: no decay for norm
// parameters and biases, decay for every other weight (embeddings included).
import { FlatParams, type Tensor } from "@neox/tensor";
import { type Init, initValues } from "./init";

export class Param {
  private bound: Tensor | null = null;
  private boundLowp: Tensor | null = null;

  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    readonly decay: boolean,
    readonly init: Init,
  ) {}

  /** The fp32 master weight (a view of the registry's flat buffer). */
  get t(): Tensor {
    if (!this.bound) throw new Error(`parameter ${this.name} is used before the model's registry was built`);
    return this.bound;
  }

  /** The bf16 or f16 working copy, or null when the model runs in fp32. */
  get lowp(): Tensor | null {
    return this.boundLowp;
  }

  bind(t: Tensor, lowp: Tensor | null): void {
    this.bound = t;
    this.boundLowp = lowp;
  }
}

/** Declares parameters under a module path: `new ParamCollector().child("layers.0").child("mlp")`. */
export class ParamCollector {
  constructor(
    readonly params: Param[] = [],
    readonly prefix = "",
  ) {}

  child(name: string): ParamCollector {
    return new ParamCollector(this.params, this.prefix ? `${this.prefix}.${name}` : name);
  }

  add(name: string, shape: readonly number[], decay: boolean, init: Init): Param {
    const full = this.prefix ? `${this.prefix}.${name}` : name;
    if (this.params.some((p) => p.name === full)) throw new Error(`parameter ${full} is declared twice`);
    const p = new Param(full, shape, decay, init);
    this.params.push(p);
    return p;
  }
}

/** One entry of the registry: where a parameter lives in the flat buffers. */
export interface ParamInfo {
  name: string;
  shape: readonly number[];
  dtype: "f32";
  /** false: GPT-NeoX's no-weight-decay group (norms and biases). */
  decay: boolean;
  /** Element offset and count in `flat.data` / `flat.grads`. */
  offset: number;
  numel: number;
  param: Param;
}

export class ParamRegistry {
  readonly flat: FlatParams;

  constructor(
    readonly params: readonly Param[],
    opts: { lowp?: boolean | "bf16" | "f16" } = {},
  ) {
    this.flat = new FlatParams(
      params.map((p) => ({ name: p.name, shape: [...p.shape], decay: p.decay })),
      { lowp: opts.lowp ?? false },
    );
    for (const p of params) p.bind(this.flat.get(p.name), this.flat.getLowp(p.name));
  }

  /** Parameters in declaration order (GPT-NeoX's module order), with their flat ranges. */
  *entries(): IterableIterator<ParamInfo> {
    for (const p of this.params) {
      const r = this.flat.ranges.get(p.name)!;
      yield {
        name: p.name,
        shape: p.shape,
        dtype: "f32",
        decay: p.decay,
        offset: r.offset,
        numel: r.numel,
        param: p,
      };
    }
  }

  get numel(): number {
    return this.flat.numel;
  }

  /**
   * Writes every parameter's initial values (see init.ts), one parameter at a time through one host
   * buffer the size of the largest (not one for the whole model, nor a fresh one per parameter
   * that the garbage collector frees when it likes), then refreshes the working copy.
   */
  initialize(seed: number): void {
    let largest = 0;
    for (const e of this.entries()) largest = Math.max(largest, e.numel);
    const scratch = new Float32Array(largest);
    for (const e of this.entries()) {
      const values = scratch.subarray(0, e.numel);
      initValues(values, e.param.init, e.name, seed, e.param.shape);
      e.param.t.write(values);
    }
    this.flat.refreshLowp();
  }

  /** Every parameter's values by name (host copies, for tests and checkpoints). */
  toHost(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const p of this.params) out.set(p.name, p.t.toFloat32Array());
    return out;
  }

  dispose(): void {
    this.flat.dispose();
  }
}
