// Float64 reference for kernels/cpu/rms-norm.cc: y = x·rsqrt(mean(x²) + eps)·w (eps inside the
// root, GPT-NeoX since #1345). N rows, C channels; weight null = 1.
//   backward: n̂ = x·rstd, g = dy·w, dx = rstd·(g - n̂·mean(g·n̂)), dw += Σ dy·n̂

export function rmsnormForward(
  out: Float64Array,
  rstd: Float64Array | null,
  inp: Float64Array,
  weight: Float64Array | null,
  N: number,
  C: number,
  eps: number,
): void {
  for (let n = 0; n < N; n++) {
    let q = 0;
    for (let c = 0; c < C; c++) q += inp[n * C + c]! ** 2;
    const r = 1 / Math.sqrt(q / C + eps);
    for (let c = 0; c < C; c++) out[n * C + c] = inp[n * C + c]! * r * (weight ? weight[c]! : 1);
    if (rstd) rstd[n] = r;
  }
}

export function rmsnormBackward(
  dinp: Float64Array,
  dweight: Float64Array | null,
  dout: Float64Array,
  inp: Float64Array,
  weight: Float64Array | null,
  rstd: Float64Array,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const r = rstd[n]!;
    let sgn = 0;
    for (let c = 0; c < C; c++) {
      const nh = inp[n * C + c]! * r;
      const d = dout[n * C + c]!;
      sgn += d * (weight ? weight[c]! : 1) * nh;
      if (dweight) dweight[c] = dweight[c]! + d * nh;
    }
    sgn /= C;
    for (let c = 0; c < C; c++) {
      const nh = inp[n * C + c]! * r;
      const g = dout[n * C + c]! * (weight ? weight[c]! : 1);
      dinp[n * C + c] = r * (g - nh * sgn);
    }
  }
}
