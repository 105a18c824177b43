// The measured FMA peak (kernels/cpu/peak.h) on every ISA path this CPU runs: a finite rate above
// 1 GFLOP/s (any x86-64 core of the last decade does several times that even on the scalar path),
// and errors for unusable arguments. Nothing is asserted about how the rate scales with threads:
// the machine is shared, so a second thread may find its core busy.
import { expect, it } from "vitest";
import { peakGflops, peakHasBf16, withIsa } from "../src/index";
import { describeNative, isas } from "./helpers/native";

describeNative("measured peak", () => {
  for (const path of isas()) {
    it(`${path}: fp32 FMA peak on 1 and 2 threads is finite and > 1 GFLOP/s`, () => {
      withIsa(path, () => {
        for (const threads of [1, 2]) {
          const g = peakGflops("fp32", threads, 0.05);
          expect(Number.isFinite(g), `${threads} threads: ${g}`).toBe(true);
          expect(g).toBeGreaterThan(1);
        }
      });
    });
  }

  it("bf16 dot-product peak where the active ISA has vdpbf16ps, an error naming the ISA elsewhere", () => {
    for (const path of isas()) {
      withIsa(path, () => {
        if (peakHasBf16()) {
          const g = peakGflops("bf16", 1, 0.05);
          expect(Number.isFinite(g)).toBe(true);
          expect(g).toBeGreaterThan(1);
        } else {
          expect(() => peakGflops("bf16", 1, 0.05)).toThrow(new RegExp(`AVX512_BF16.*${path}`));
        }
      });
    }
    // Only the AVX-512 path (which requires AVX512_BF16) has the bf16 burst.
    for (const path of isas()) expect(withIsa(path, () => peakHasBf16())).toBe(path === "avx512");
  });

  it("rejects a zero thread count, a non-positive duration and an unknown kind", () => {
    expect(() => peakGflops("fp32", 0, 0.01)).toThrow(/peakGflops: argument 1 must be a thread count/);
    expect(() => peakGflops("fp32", 1, 0)).toThrow(/seconds must be > 0, got 0/);
    expect(() => peakGflops("fp16" as "fp32", 1, 0.01)).toThrow(/argument 0 must be "fp32" or "bf16"/);
  });
});
