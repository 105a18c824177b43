// Float64 reference for the row argmax (kernels/cpu/argmax.cc): the first index of each row's
// maximum; NaN is never greater than anything (skipped), and a row of NaNs only gives 0.

export function argmaxRows(out: Int32Array, inp: ArrayLike<number>, R: number, V: number): void {
  for (let r = 0; r < R; r++) {
    let best = -1;
    let m = 0;
    for (let c = 0; c < V; c++) {
      const x = inp[r * V + c]!;
      if (Number.isNaN(x)) continue;
      if (best < 0 || x > m) {
        best = c;
        m = x;
      }
    }
    out[r] = Math.max(best, 0);
  }
}
