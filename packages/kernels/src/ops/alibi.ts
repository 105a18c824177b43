// ALiBi slopes and bias on native memory; see kernels/cpu/alibi.h. The fused attention kernel
// takes the slopes directly; alibiBias materialises (NH, Tq, Tk) for unfused paths.
import { nativeFunction } from "../loader";

type Native = (...args: number[]) => void;

/** GPT-NeoX's slopes for NH heads (non-powers of two included), fp32. */
export function alibiSlopes(slopes: number, NH: number): void {
  nativeFunction<Native>("alibiSlopes")(slopes, NH);
}

/** out (NH, Tq, Tk) fp32: -(i - j)·slope_h for keys j <= query position i, 0 above. */
export function alibiBias(out: number, slopes: number, NH: number, Tq: number, Tk: number): void {
  nativeFunction<Native>("alibiBias")(out, slopes, NH, Tq, Tk);
}
