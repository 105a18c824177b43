// Float64 reference for kernels/cpu/embedding.cc. N tokens, C channels, V table rows.

function checkIds(name: string, ids: Int32Array, N: number, V: number): void {
  for (let n = 0; n < N; n++) {
    const id = ids[n]!;
    if (id < 0 || id >= V)
      throw new Error(`${name}: token id ${id} at position ${n} is outside the table [0, ${V})`);
  }
}

/** out[n, :] = weight[ids[n], :] */
export function embeddingForward(
  out: Float64Array,
  ids: Int32Array,
  weight: Float64Array,
  N: number,
  C: number,
  V: number,
): void {
  checkIds("embeddingForward", ids, N, V);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) out[n * C + c] = weight[ids[n]! * C + c]!;
}

/** dweight[ids[n], :] += dout[n, :] */
export function embeddingBackward(
  dweight: Float64Array,
  dout: Float64Array,
  ids: Int32Array,
  N: number,
  C: number,
  V: number,
): void {
  checkIds("embeddingBackward", ids, N, V);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) dweight[ids[n]! * C + c] = dweight[ids[n]! * C + c]! + dout[n * C + c]!;
}
