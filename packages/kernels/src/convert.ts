// fp32 <-> fp16 casts on native memory (round to nearest even, subnormals kept); out and inp are
// addresses, n the element count. fp32 <-> bf16 casts are castF32ToBf16 / castBf16ToF32.
import { lazyNative } from "./loader";

type Cast = (out: number, inp: number, n: number) => void;

const toF16 = lazyNative<Cast>("castF32ToF16");
const fromF16 = lazyNative<Cast>("castF16ToF32");

export function castF32ToF16(out: number, inp: number, n: number): void {
  toF16()(out, inp, n);
}

export function castF16ToF32(out: number, inp: number, n: number): void {
  fromF16()(out, inp, n);
}
