// Float64 reference for kernels/cpu/dropout.cc: the counter-based mask (formula in dropout.h),
// recomputed here with 32-bit integer arithmetic so masks match the kernel bit for bit.

function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

const TWO32 = 4294967296;

/** uniform(seed, j) in [0, 1) with 24-bit resolution; seed and j are integers below 2^53. */
export function dropoutUniform(seed: number, j: number): number {
  const key = mix32(
    ((seed >>> 0) ^
      mix32((Math.floor(seed / TWO32) >>> 0) ^ mix32((Math.floor(j / TWO32) + 0x9e3779b9) >>> 0))) >>>
      0,
  );
  const r = mix32(((mix32(((j >>> 0) ^ key) >>> 0) + key) >>> 0) >>> 0);
  return (r >>> 8) / 16777216;
}

/** 1 where element i of a call with (seed, offset) is kept, else 0. */
export function dropoutKeep(p: number, seed: number, offset: number, i: number): boolean {
  if (p >= 1) return false;
  // The kernel compares 24-bit integers: keep iff (r >> 8) >= floor(p·2^24), p rounded to fp32.
  return dropoutUniform(seed, offset + i) * 16777216 >= Math.floor(Math.fround(p) * 16777216);
}

export function dropoutForward(
  out: Float64Array,
  inp: Float64Array,
  n: number,
  p: number,
  seed: number,
  offset: number,
): void {
  const scale = p >= 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < n; i++) out[i] = dropoutKeep(p, seed, offset, i) ? inp[i]! * scale : 0;
}

/** Same mask and scale as the forward: dinp = keep · dout / (1 - p). */
export function dropoutBackward(
  dinp: Float64Array,
  dout: Float64Array,
  n: number,
  p: number,
  seed: number,
  offset: number,
): void {
  dropoutForward(dinp, dout, n, p, seed, offset);
}
