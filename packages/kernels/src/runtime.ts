// The ISA path and thread count of the native kernels (process-wide).
import { native } from "./loader";

export type Isa = "avx512" | "avx2" | "scalar";

/** The code path kernels take now (chosen at load by cpuid, or NEOX_ISA). */
export function isa(): Isa {
  return native().isa() as Isa;
}

/** Forces a code path (tests run every path this CPU supports); throws if the CPU lacks it. */
export function setIsa(name: Isa): void {
  native().setIsa(name);
}

/** The paths this CPU runs, best first; always ends with "scalar". */
export function supportedIsas(): Isa[] {
  return native().supportedIsas() as Isa[];
}

/** Threads used by native kernels (NEOX_NUM_THREADS, default: hardware threads). */
export function numThreads(): number {
  return native().numThreads();
}

export function setNumThreads(n: number): void {
  native().setNumThreads(n);
}

/** Names of every registered native op (each has a parity case; see test/coverage.native.test.ts). */
export function ops(): string[] {
  return native().ops();
}

/** Runs fn under `name`, restoring the previous ISA afterwards (also on throw). */
export function withIsa<T>(name: Isa, fn: () => T): T {
  const before = isa();
  setIsa(name);
  try {
    return fn();
  } finally {
    setIsa(before);
  }
}
