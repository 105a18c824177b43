// Float64 references for kernels/cpu/bias-add.cc and residual.cc. N rows, C channels.

/** out[n,c] = inp[n,c] + bias[c] */
export function biasAddForward(
  out: Float64Array,
  inp: Float64Array,
  bias: Float64Array,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) out[n * C + c] = inp[n * C + c]! + bias[c]!;
}

/** dbias[c] += Σ_n dout[n,c] */
export function biasAddBackward(dbias: Float64Array, dout: Float64Array, N: number, C: number): void {
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) s += dout[n * C + c]!;
    dbias[c] = dbias[c]! + s;
  }
}

export function residualForward(out: Float64Array, a: Float64Array, b: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
}

/** da = dout, db = dout (null skips one). */
export function residualBackward(
  da: Float64Array | null,
  db: Float64Array | null,
  dout: Float64Array,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    if (da) da[i] = dout[i]!;
    if (db) db[i] = dout[i]!;
  }
}
