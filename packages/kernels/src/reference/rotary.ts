// Float64 reference for rotary position embedding, the twin of kernels/cpu/rotary.cc.
// GPT-NeoX/HF rotate-half on the first rotDim channels of each head
// (megatron/model/positional_embeddings.py): out = x·cos + rotate_half(x)·sin,
// rotate_half(x) = cat(-x2, x1), x1 = x[:rotDim/2], x2 = x[rotDim/2:rotDim]; channels past rotDim
// pass through. Dense layout (B, T, NH, HS); cos/sin tables (nPos, rotDim/2).

export interface RotaryDims {
  B: number;
  T: number;
  NH: number;
  HS: number;
  /** int(HS · rotary_pct), even. */
  rotDim: number;
  /** Position of t = 0 (KV-cache decoding). */
  posOffset: number;
}

/**
 * cos/sin of t·inv_freq for t in [0, nPos). GPT-NeoX builds the angle in fp32
 * (inv_freq = 1 / base^(arange(0, dim, 2).float() / dim), then t·inv_freq in fp32), so each
 * fp32 rounding is reproduced with Math.fround; cos and sin of that angle are exact (float64).
 */
export function rotaryTable(
  cos: Float64Array,
  sin: Float64Array,
  nPos: number,
  rotDim: number,
  base: number,
): void {
  const half = rotDim / 2;
  for (let i = 0; i < half; i++) {
    const ex = Math.fround((2 * i) / rotDim);
    const invFreq = Math.fround(1 / Math.fround(Math.fround(base) ** ex));
    for (let t = 0; t < nPos; t++) {
      const angle = Math.fround(t * invFreq);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  }
}

function rotate(
  y: Float64Array,
  x: Float64Array,
  cos: Float64Array,
  sin: Float64Array,
  d: RotaryDims,
  sign: number,
) {
  const half = d.rotDim / 2;
  for (let b = 0; b < d.B; b++) {
    for (let t = 0; t < d.T; t++) {
      const row = (t + d.posOffset) * half;
      for (let h = 0; h < d.NH; h++) {
        const o = ((b * d.T + t) * d.NH + h) * d.HS;
        for (let e = 0; e < half; e++) {
          const x1 = x[o + e]!;
          const x2 = x[o + e + half]!;
          const c = cos[row + e]!;
          const s = sign * sin[row + e]!;
          y[o + e] = x1 * c - x2 * s;
          y[o + e + half] = x2 * c + x1 * s;
        }
        for (let e = d.rotDim; e < d.HS; e++) y[o + e] = x[o + e]!;
      }
    }
  }
}

export function rotaryForward(
  out: Float64Array,
  inp: Float64Array,
  cos: Float64Array,
  sin: Float64Array,
  d: RotaryDims,
): void {
  rotate(out, inp, cos, sin, d, 1);
}

/** The rotation is orthogonal, so the backward is its transpose: the rotation by -angle. */
export function rotaryBackward(
  dinp: Float64Array,
  dout: Float64Array,
  cos: Float64Array,
  sin: Float64Array,
  d: RotaryDims,
): void {
  rotate(dinp, dout, cos, sin, d, -1);
}
