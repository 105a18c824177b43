// Float64 references for kernels/cpu/reduce.cc: sums over rows (per column) and over columns
// (per row) of an N×C matrix with row stride ld.

/** out[c] = (accumulate ? out[c] : 0) + alpha · Σ_n inp[n·ld + c] */
export function sumRowsF32(
  out: Float64Array,
  inp: Float64Array,
  N: number,
  C: number,
  ld: number,
  alpha: number,
  accumulate: boolean,
): void {
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) s += inp[n * ld + c]!;
    out[c] = (accumulate ? out[c]! : 0) + alpha * s;
  }
}

/** out[n] = (accumulate ? out[n] : 0) + alpha · Σ_c inp[n·ld + c] */
export function sumColsF32(
  out: Float64Array,
  inp: Float64Array,
  N: number,
  C: number,
  ld: number,
  alpha: number,
  accumulate: boolean,
): void {
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += inp[n * ld + c]!;
    out[n] = (accumulate ? out[n]! : 0) + alpha * s;
  }
}
