// Shared helpers for the *.native.test.ts files of @neox/kernels (E1/E2 use them too):
//   describeNative  describe() that fails in CI / skips with a printed reason elsewhere when the
//                   addon is not built
//   isas()          the ISA paths this CPU supports (run parity cases under each with withIsa)
//   Rng             a seeded generator (uniform, normal) so failures reproduce
//   toNative/fromNative  copy float64 data into native f32/bf16/f16 buffers and back
//   expectClose     elementwise |a - e| <= atol + rtol * |e| with the worst index in the message
import { describe } from "vitest";
import { type Dtype, type Isa, NativeBuffer, nativeAvailable, supportedIsas } from "../../src/index";
import { bf16ToF64, f16ToF64, f64ToBf16, f64ToF16 } from "../../src/reference/convert";

const available = nativeAvailable();

/** describe() for tests that need the built addon. */
export const describeNative: typeof describe = (() => {
  if (available) return describe;
  if (process.env.CI === "true") return describe; // let the tests fail loudly in CI
  console.warn(
    "skipping native kernel tests: the addon is not built (pnpm --filter @neox/kernels build:native)",
  );
  return describe.skip;
})() as typeof describe;

export function isas(): Isa[] {
  return available ? supportedIsas() : ["scalar"];
}

/** mulberry32: small, fast, seeded; normal() by Box-Muller. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  uniform(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    const u = Math.max(this.uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
  /** n values uniform in [lo, hi). */
  uniformArray(n: number, lo = -1, hi = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }
  normalArray(n: number, std = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = std * this.normal();
    return out;
  }
}

/** A new native buffer holding `data` rounded to `dtype` (round to nearest even). */
export function toNative(data: ArrayLike<number>, dtype: Dtype = "f32"): NativeBuffer {
  const buf = new NativeBuffer(data.length, dtype);
  if (dtype === "f32") buf.f32().set(data);
  else {
    const u = buf.u16();
    const enc = dtype === "bf16" ? f64ToBf16 : f64ToF16;
    for (let i = 0; i < data.length; i++) u[i] = enc(data[i]!);
  }
  return buf;
}

/** The buffer's values as float64. */
export function fromNative(buf: NativeBuffer): Float64Array {
  if (buf.dtype === "f32") return Float64Array.from(buf.f32());
  const dec = buf.dtype === "bf16" ? bf16ToF64 : f16ToF64;
  return Float64Array.from(buf.u16(), dec);
}

/** data rounded through `dtype` and back, as float64 (what the kernel actually sees). */
export function roundTo(data: ArrayLike<number>, dtype: Dtype): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    out[i] =
      dtype === "f32" ? Math.fround(x) : dtype === "bf16" ? bf16ToF64(f64ToBf16(x)) : f16ToF64(f64ToF16(x));
  }
  return out;
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Throws (failing the test) naming `label`, the count of bad elements and the worst one. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label = "",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  }
  let bad = 0;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue; // also equal infinities
    const limit = tol.atol + tol.rtol * Math.abs(e);
    const err = Math.abs(a - e);
    if (!(err <= limit)) {
      bad++;
      const excess = Number.isFinite(err) ? err / limit : Number.POSITIVE_INFINITY;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (bad > 0) {
    throw new Error(
      `${label}: ${bad} of ${actual.length} elements outside atol ${tol.atol} + rtol ${tol.rtol}; ` +
        `worst at [${worst}]: got ${actual[worst]}, expected ${expected[worst]}`,
    );
  }
}
