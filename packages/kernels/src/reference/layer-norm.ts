// Float64 reference for kernels/cpu/layer-norm.cc (torch.nn.LayerNorm: biased variance, eps inside
// the root). N rows, C channels; weight/bias null = 1/0; mean/rstd null = not saved.
//   backward: n̂ = (x-mean)·rstd, g = dy·w, dx = rstd·(g - mean(g) - n̂·mean(g·n̂)),
//             dw += Σ dy·n̂, db += Σ dy

export function layernormForward(
  out: Float64Array,
  mean: Float64Array | null,
  rstd: Float64Array | null,
  inp: Float64Array,
  weight: Float64Array | null,
  bias: Float64Array | null,
  N: number,
  C: number,
  eps: number,
): void {
  for (let n = 0; n < N; n++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += inp[n * C + c]!;
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (inp[n * C + c]! - m) ** 2;
    const r = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) {
      const y = (inp[n * C + c]! - m) * r;
      out[n * C + c] = y * (weight ? weight[c]! : 1) + (bias ? bias[c]! : 0);
    }
    if (mean) mean[n] = m;
    if (rstd) rstd[n] = r;
  }
}

export function layernormBackward(
  dinp: Float64Array,
  dweight: Float64Array | null,
  dbias: Float64Array | null,
  dout: Float64Array,
  inp: Float64Array,
  weight: Float64Array | null,
  mean: Float64Array,
  rstd: Float64Array,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const m = mean[n]!;
    const r = rstd[n]!;
    let sg = 0;
    let sgn = 0;
    for (let c = 0; c < C; c++) {
      const nh = (inp[n * C + c]! - m) * r;
      const d = dout[n * C + c]!;
      const g = d * (weight ? weight[c]! : 1);
      sg += g;
      sgn += g * nh;
      if (dweight) dweight[c] = dweight[c]! + d * nh;
      if (dbias) dbias[c] = dbias[c]! + d;
    }
    sg /= C;
    sgn /= C;
    for (let c = 0; c < C; c++) {
      const nh = (inp[n * C + c]! - m) * r;
      const g = dout[n * C + c]! * (weight ? weight[c]! : 1);
      dinp[n * C + c] = r * (g - sg - nh * sgn);
    }
  }
}
