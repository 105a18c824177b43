// The machine's measured arithmetic peak (kernels/cpu/peak.h): independent FMA chains, or bf16
// dot-product (vdpbf16ps) chains, on N threads for a fixed time, on the active ISA. Benchmarks
// quote MFU against this figure measured in the same run, not against a datasheet.
import { lazyNative } from "./loader";

export type PeakKind = "fp32" | "bf16";

const gflops = lazyNative<(kind: PeakKind, threads: number, seconds: number) => number>("peakGflops");
const hasBf16 = lazyNative<() => boolean>("peakHasBf16");

/** True when the active ISA can measure the bf16 peak (AVX-512 with AVX512_BF16). */
export function peakHasBf16(): boolean {
  return hasBf16()();
}

/**
 * GFLOP/s of `threads` threads each running the `kind` burst for about `seconds` (an FMA counts 2
 * FLOPs, a bf16 dot-product lane 4). Blocks the calling thread for that long. Throws for bf16 when
 * peakHasBf16() is false.
 */
export function peakGflops(kind: PeakKind, threads: number, seconds = 0.5): number {
  return gflops()(kind, threads, seconds);
}
