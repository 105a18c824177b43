// Every GPU op kernel against the CPU backend's kernel of the same name, on the same inputs (the
// table in gpu-parity-cases.ts): the CPU kernels are checked against float64 references elsewhere
// (ops-parity.native.test.ts and @neox/kernels' parity cases), so agreement here carries that
// check to the GPU. Skipped, with the reason printed, where no CUDA device is usable; the table
// itself is checked everywhere.
import { existsSync } from "node:fs";
import {
  CudaUnavailableError,
  cudaLibraryCandidates,
  loadCuda,
  nativeGpu,
  parseGpuOpSignature,
} from "@neox/kernels";
import { describe, expect, it } from "vitest";
import { getBackend } from "../src/index";
import { cases, compareCase, runOn } from "./gpu-parity-cases";

let reason = "";
try {
  loadCuda();
} catch (error) {
  if (!(error instanceof CudaUnavailableError)) throw error;
  reason = error.message;
  console.warn(`skipping the GPU op parity tests: ${reason}`);
}

describe.runIf(reason === "")("GPU op kernels against the CPU backend", () => {
  for (const c of cases) {
    it(c.name, () => {
      const want = runOn(getBackend("cpu"), c);
      const got = runOn(getBackend("cuda:0"), c);
      for (const { buffer, err, tol } of compareCase(c, got, want))
        expect(err, `${c.name}: ${buffer}`).toBeLessThanOrEqual(tol);
    });
  }

  it("runs the deterministic backward kernels to the same bits twice", () => {
    for (const name of ["embeddingBackward", "attentionBackward GQA 4/2, ALiBi", "biasAddBackward"]) {
      const c = cases.find((x) => x.name === name || x.kernel === name)!;
      const a = runOn(getBackend("cuda:0"), c);
      const b = runOn(getBackend("cuda:0"), c);
      for (const key of Object.keys(c.compare)) expect(b[key], `${name}: ${key}`).toEqual(a[key]);
    }
  });
});

// Checked on any machine: the table's cases are well-formed (the CPU kernels accept them), and
// where the GPU library is built, every op it has is covered by a case.
describe("GPU op parity table", () => {
  it("every case runs on the CPU backend", () => {
    for (const c of cases) expect(() => runOn(getBackend("cpu"), c), c.name).not.toThrow();
  });

  const library = cudaLibraryCandidates()[0]!;
  it.runIf(existsSync(library))("covers every op of the GPU library", () => {
    nativeGpu().gpuOpen(library);
    const covered = new Set(cases.map((c) => c.kernel));
    const ops = nativeGpu()
      .gpuOps()
      .map((sig) => parseGpuOpSignature(sig).name);
    expect(ops.filter((op) => !covered.has(op))).toEqual([]);
  });
});
