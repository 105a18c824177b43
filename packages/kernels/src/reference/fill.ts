// Float64 references for kernels/cpu/fill.cc: fills, scaling, copies (contiguous and 4-D strided)
// and the fp32 <-> bf16 casts (through convert.ts, which rounds on exact values).
import { bf16ToF64, f32Bits, f32BitsToBf16 } from "./convert";

export function fillF32(out: Float64Array, value: number, n: number): void {
  out.fill(value, 0, n);
}

/** out = alpha · inp */
export function scaleF32(out: Float64Array, inp: Float64Array, alpha: number, n: number): void {
  for (let i = 0; i < n; i++) out[i] = alpha * inp[i]!;
}

/** out = a + alpha · b */
export function axpyF32(out: Float64Array, a: Float64Array, b: Float64Array, alpha: number, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! + alpha * b[i]!;
}

export function copyF32(out: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp[i]!;
}

/** out (D0, D1, D2, D3) contiguous; inp element [i0,i1,i2,i3] at i0·s0 + i1·s1 + i2·s2 + i3·s3. */
export function copyStridedF32(
  out: Float64Array,
  inp: Float64Array,
  D0: number,
  D1: number,
  D2: number,
  D3: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
): void {
  let o = 0;
  for (let i0 = 0; i0 < D0; i0++)
    for (let i1 = 0; i1 < D1; i1++)
      for (let i2 = 0; i2 < D2; i2++)
        for (let i3 = 0; i3 < D3; i3++) out[o++] = inp[i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3]!;
}

/** bf16 bit patterns of the fp32 values (rounded to fp32 first, as the kernel sees them). */
export function castF32ToBf16(out: Uint16Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = f32BitsToBf16(f32Bits(inp[i]!));
}

export function castBf16ToF32(out: Float64Array, inp: Uint16Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = bf16ToF64(inp[i]!);
}
