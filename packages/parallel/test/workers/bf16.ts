// bf16 <-> float conversions for the tests' expected values, written from the format's definition
// (the top 16 bits of an IEEE float32; rounding to nearest, ties to even) independently of the
// engine's C++.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bf16ToFloat(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0] as number;
}

/** Rounds a float64 to float32, then to the nearest bf16 (ties to even). Finite inputs only. */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  const upper = bits >>> 16;
  const lower = bits & 0xffff;
  if (lower > 0x8000 || (lower === 0x8000 && (upper & 1) === 1)) return (upper + 1) & 0xffff;
  return upper;
}
