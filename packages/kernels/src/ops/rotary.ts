// Rotary position embedding on native memory; see kernels/cpu/rotary.h. GPT-NeoX/HF rotate-half
// on the first rotDim channels of every head of a (B, T, NH, HS) view with a contiguous head
// dimension (q and k of a fused QKV buffer are such views: see qkvViews).
import { nativeFunction } from "../loader";
import type { HeadStrides } from "./attention";
import { denseHeadStrides } from "./attention";

/** GPT-NeoX: rotary_ndims = int(head_size · rotary_pct) (the whole head when rotary_pct == 1). */
export function rotaryDim(HS: number, rotaryPct: number): number {
  const dim = rotaryPct === 1 ? HS : Math.trunc(HS * rotaryPct);
  if (dim < 2 || dim % 2 !== 0) {
    throw new Error(
      `rotary_pct ${rotaryPct} of head size ${HS} gives ${dim} channels; expected an even count >= 2`,
    );
  }
  return dim;
}

export interface RotaryShape {
  B: number;
  T: number;
  NH: number;
  HS: number;
  rotDim: number;
  /** Position of t = 0 (KV-cache decoding); the table needs posOffset + T rows. Default 0. */
  posOffset?: number;
}

type Native = (...args: number[]) => void;

/** cos/sin tables (nPos, rotDim/2) fp32, angles built in fp32 as GPT-NeoX builds them. */
export function rotaryTable(cos: number, sin: number, nPos: number, rotDim: number, base = 10000): void {
  nativeFunction<Native>("rotaryTable")(cos, sin, nPos, rotDim, base);
}

function dims(s: RotaryShape, first: HeadStrides | undefined, second: HeadStrides | undefined): number[] {
  const dense = denseHeadStrides(s.T, s.NH, s.HS);
  const a = first ?? dense;
  const b = second ?? dense;
  return [s.B, s.T, s.NH, s.HS, s.rotDim, s.posOffset ?? 0, a.b, a.t, a.h, b.b, b.t, b.h];
}

/** out = inp·cos + rotate_half(inp)·sin; out may be inp (in place, same strides). */
export function rotaryForward(
  out: number,
  inp: number,
  cos: number,
  sin: number,
  shape: RotaryShape,
  strides: { out?: HeadStrides; inp?: HeadStrides } = {},
): void {
  nativeFunction<Native>("rotaryForward")(out, inp, cos, sin, ...dims(shape, strides.out, strides.inp));
}

/** dinp = the transposed rotation of dout; dinp may be dout (in place, same strides). */
export function rotaryBackward(
  dinp: number,
  dout: number,
  cos: number,
  sin: number,
  shape: RotaryShape,
  strides: { dinp?: HeadStrides; dout?: HeadStrides } = {},
): void {
  nativeFunction<Native>("rotaryBackward")(dinp, dout, cos, sin, ...dims(shape, strides.dinp, strides.dout));
}
