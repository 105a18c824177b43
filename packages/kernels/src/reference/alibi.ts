// Float64 reference for ALiBi slopes and bias, the twin of kernels/cpu/alibi.cc.
// GPT-NeoX AliBi._get_slopes (megatron/model/positional_embeddings.py): for n a power of two the
// slopes are start^1..start^n with start = 2^(-2^-(log2(n) - 3)); otherwise those of the closest
// lower power of two p, then every other slope of 2p (indices 0, 2, 4, ...), n - p of them.

export function alibiSlopes(slopes: Float64Array, NH: number): void {
  const s = slopesOf(NH);
  for (let h = 0; h < NH; h++) slopes[h] = s[h]!;
}

function slopesOf(n: number): number[] {
  const lg = Math.log2(n);
  if (Number.isInteger(lg)) {
    const start = 2 ** -(2 ** -(lg - 3));
    return Array.from({ length: n }, (_, i) => start * start ** i); // start * ratio**i, ratio = start
  }
  const p = 2 ** Math.floor(lg);
  const twice = slopesOf(2 * p);
  return [...slopesOf(p), ...twice.filter((_, i) => i % 2 === 0).slice(0, n - p)];
}

/** out (NH, Tq, Tk): -(i - j)·slope_h for j <= i = (Tk - Tq) + row, else 0 (GPT-NeoX's -tril). */
export function alibiBias(out: Float64Array, slopes: Float64Array, NH: number, Tq: number, Tk: number): void {
  const off = Tk - Tq;
  for (let h = 0; h < NH; h++) {
    for (let r = 0; r < Tq; r++) {
      const i = r + off;
      for (let j = 0; j < Tk; j++) out[(h * Tq + r) * Tk + j] = j <= i ? -(i - j) * slopes[h]! : 0;
    }
  }
}
