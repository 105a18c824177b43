// Float64 reference for kernels/cpu/cross-entropy.cc: softmax cross-entropy over V classes,
// loss = Σ_n CE_n·m_n / Σ_n m_n with m_n = mask[n]·[target_n >= 0] (GPT-NeoX: loss_mask times
// label validity), 0 when Σm = 0. Negative targets mark ignored rows.

function rowWeight(targets: Int32Array, mask: Float64Array | null, n: number): number {
  return targets[n]! < 0 ? 0 : mask ? mask[n]! : 1;
}

function checkTargets(name: string, targets: Int32Array, N: number, V: number): void {
  for (let n = 0; n < N; n++)
    if (targets[n]! >= V)
      throw new Error(`${name}: target ${targets[n]} at row ${n} is outside the vocabulary [0, ${V})`);
}

/** Returns the masked mean loss; fills losses (CE per row, 0 for ignored rows) and lse when given. */
export function crossEntropyForward(
  losses: Float64Array | null,
  lse: Float64Array | null,
  logits: Float64Array,
  targets: Int32Array,
  mask: Float64Array | null,
  N: number,
  V: number,
): number {
  checkTargets("crossEntropyForward", targets, N, V);
  let total = 0;
  let denom = 0;
  for (let n = 0; n < N; n++) {
    let mx = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < V; v++) mx = Math.max(mx, logits[n * V + v]!);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[n * V + v]! - mx);
    const l = mx + Math.log(s);
    const t = targets[n]!;
    const ce = t >= 0 ? l - logits[n * V + t]! : 0;
    if (lse) lse[n] = l;
    if (losses) losses[n] = ce;
    const w = rowWeight(targets, mask, n);
    total += ce * w;
    denom += w;
  }
  return denom !== 0 ? total / denom : 0;
}

/** Forward and backward together (the native crossEntropyFused): returns the loss, writes dlogits. */
export function crossEntropyFused(
  losses: Float64Array | null,
  dlogits: Float64Array,
  logits: Float64Array,
  targets: Int32Array,
  mask: Float64Array | null,
  dloss: number,
  N: number,
  V: number,
): number {
  const lse = new Float64Array(N);
  const loss = crossEntropyForward(losses, lse, logits, targets, mask, N, V);
  crossEntropyBackward(dlogits, logits, lse, targets, mask, dloss, N, V);
  return loss;
}

/** dlogits[n,v] = dloss·m_n/Σm·(softmax_v - [v = target_n]). */
export function crossEntropyBackward(
  dlogits: Float64Array,
  logits: Float64Array,
  lse: Float64Array,
  targets: Int32Array,
  mask: Float64Array | null,
  dloss: number,
  N: number,
  V: number,
): void {
  checkTargets("crossEntropyBackward", targets, N, V);
  let denom = 0;
  for (let n = 0; n < N; n++) denom += rowWeight(targets, mask, n);
  const scale = denom !== 0 ? dloss / denom : 0;
  for (let n = 0; n < N; n++) {
    const w = scale * rowWeight(targets, mask, n);
    for (let v = 0; v < V; v++) dlogits[n * V + v] = w === 0 ? 0 : w * Math.exp(logits[n * V + v]! - lse[n]!);
    if (w !== 0) dlogits[n * V + targets[n]!] = dlogits[n * V + targets[n]!]! - w;
  }
}
