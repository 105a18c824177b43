// The GPU library's op kernels against the kernel declarations tensor ops launch through
// (src/kernels): same names, same argument names, same kinds, in the same order. Runs wherever
// libneox_gpu.so is built (nvcc present), GPU or not: the library lists its ops without a device,
// so a kernel wired with a wrong or missing argument, or not wired at all, fails here rather than
// on the GPU machine. Also checks that the library refuses a launch that breaks a signature.
import { existsSync } from "node:fs";
import { cudaLibraryCandidates, nativeGpu, parseGpuOpSignature } from "@neox/kernels";
import { describe, expect, it } from "vitest";
import { k } from "../src/kernels/index";

const library = cudaLibraryCandidates()[0]!;
const built = existsSync(library);
if (!built) console.warn(`skipping the GPU op signature checks: ${library} is not built (needs nvcc)`);

// Kernels of src/kernels with no GPU op yet: each named here on purpose, so a new CPU kernel
// that is not wired to the GPU library fails this test until it is listed or written.
const NOT_ON_GPU_YET = new Set(["attentionDecodeStep"]);
// Kernels the CUDA backend implements itself (backend/cuda.ts gpuKernels), not through gpuLaunch.
const BACKEND_OWN = new Set(["memcpy", "memset0", "fillF32", "copyF32", "castF32ToBf16", "castBf16ToF32"]);

// A declared argument kind (src/kernels/kernel.ts ArgKind) as the GPU library spells it.
function gpuKind(kind: string): string {
  if (kind.endsWith("[]") || kind === "sizes" || kind === "scalars") return "l";
  if (/^(in|out|inout)\? /.test(kind)) return "o";
  if (/^(in|out|inout) /.test(kind)) return "p";
  const simple: Record<string, string> = { size: "s", int: "i", scalar: "f", flag: "b" };
  const mapped = simple[kind];
  if (!mapped) throw new Error(`unknown argument kind "${kind}"`);
  return mapped;
}

describe.runIf(built)("GPU op signatures", () => {
  const gpu = nativeGpu();
  const opened = () => gpu.gpuOpen(library);

  it("the library's table has the op entries of ABI 2", () => {
    // gpuOpen refuses a table shorter than the addon's api.h or with a null slot, so opening at
    // ABI 2 means op_count, op_signature and op_launch are there.
    expect(opened().abiVersion).toBe(2);
    expect(gpu.gpuOps().length).toBeGreaterThan(40);
  });

  it("every declared kernel is a GPU op with the same argument names and kinds", () => {
    opened();
    const ops = new Map(
      gpu.gpuOps().map((s) => [parseGpuOpSignature(s).name, parseGpuOpSignature(s).params]),
    );
    const missing: string[] = [];
    for (const [name, launcher] of Object.entries(k)) {
      if (BACKEND_OWN.has(name)) continue;
      const params = ops.get(name);
      if (!params) {
        if (!NOT_ON_GPU_YET.has(name)) missing.push(name);
        continue;
      }
      expect(NOT_ON_GPU_YET.has(name), `${name} is on the GPU now: drop it from NOT_ON_GPU_YET`).toBe(false);
      const want = launcher.decl.args.map((a) => `${a.key}:${gpuKind(a.kind)}`);
      const got = params.map((p) => `${p.name}:${p.kind}`);
      expect(got, name).toEqual(want);
    }
    expect(missing, "declared kernels with no GPU op").toEqual([]);
  });

  it("refuses launches that break an op's signature, naming the op and argument", () => {
    opened();
    expect(() => gpu.gpuLaunch("scaleF32", 0, [1, 2, 3])).toThrow(
      "gpuLaunch: scaleF32: expected 4 arguments (out:p,inp:p,alpha:f,n:s), got 3",
    );
    expect(() => gpu.gpuLaunch("scaleF32", 0, [0, 4096, 1.5, 4])).toThrow(
      "scaleF32: argument 0 (out) must be a non-null device address, got 0",
    );
    expect(() => gpu.gpuLaunch("gluForward", 0, [4096, 4096, 2, 3, 2.5])).toThrow(
      "gluForward: argument 4 (kind) must be an integer >= 0, got 2.5",
    );
    expect(() =>
      gpu.gpuLaunch("adamwStep", 0, [4096, [4096], [4096], [4096], [1], [0], 0.9, 0.999, 1e-8, 4096]),
    ).toThrow("adamwStep: argument 0 (params) must be a list of numbers");
    // Dropout seeds are scalars (plans re-read them) but counters: a negative one is refused.
    expect(() => gpu.gpuLaunch("dropoutForward", 0, [4096, 4096, 8, 0.1, -3, 0])).toThrow(
      "dropoutForward: argument 4 must be a non-negative integer (seed or offset), got -3",
    );
    expect(() => gpu.gpuLaunch("noSuchKernel", 0, [])).toThrow('no GPU op "noSuchKernel"');
  });
});
