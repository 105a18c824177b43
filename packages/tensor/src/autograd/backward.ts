// Reverse-mode sweep over a tape. Gradients of intermediate tensors live only while needed: each
// entry's output gradients and saved tensors are disposed as soon as its rule has run. Leaf
// gradients accumulate into `.grad` (allocated on first use unless the caller pre-assigned a view
// into a flat gradient buffer).
//
// `onLeafReady` reports a leaf the moment the tape has given it its last gradient contribution:
// right after the rule of the first tape entry that used it (the last one the sweep reaches). The
// backward of an activation-checkpointed body sweeps a private tape inside this sweep; it reports
// its own leaves the same way, to the same callback. So a leaf used in several places (outside a
// body and inside one, or in two bodies) is reported once per tape, and its gradient is final after
// its last report; a leaf no tape used is never reported. Data parallelism works out from one
// backward's reports where each gradient bucket is final, and starts the bucket's all-reduce there
// in later steps while the backward goes on (@neox/trainer grad-buckets.ts).

import { accumulate, add, copyInto, fill } from "../ops/basic";
import { keep, scope } from "../scope";
import { Tensor } from "../tensor";
import { GRAD_RULES } from "./grad-rules";
import { activeTape, noGrad, releaseEntry, type Tape, type TapeEntry } from "./tape";

export interface BackwardOptions {
  /**
   * Called for each leaf (a tensor no recorded op produced) when a tape, this one or a checkpointed
   * body's, has given it its last contribution; final after the leaf's last report.
   */
  onLeafReady?: (leaf: Tensor) => void;
}

/** The outer sweep's onLeafReady while it runs, for the sweeps of checkpointed bodies inside it. */
let nested: ((leaf: Tensor) => void) | null = null;

/**
 * Backpropagate from `outputs` (default gradient: ones for a single output) through `tape`
 * (default: the active tape), then clear the tape.
 */
export function backward(output: Tensor, dout?: Tensor, tape?: Tape, opts?: BackwardOptions): void {
  backwardMany([output], dout ? [dout] : undefined, tape, opts);
}

export function backwardMany(
  outputs: readonly Tensor[],
  douts?: readonly Tensor[],
  tape = activeTape(),
  opts: BackwardOptions = {},
): void {
  const report = opts.onLeafReady ?? nested;
  const prev = nested;
  nested = report;
  try {
    noGrad(() => sweep(outputs, douts, tape, report ? lastUses(tape) : null, report ?? undefined));
  } finally {
    nested = prev;
  }
}

/** Leaves that need a gradient, by the index of the earliest tape entry using them. */
function lastUses(tape: Tape): Map<number, Tensor[]> {
  const seen = new Set<Tensor>();
  const out = new Map<number, Tensor[]>();
  tape.entries.forEach((entry, i) => {
    for (const x of entry.inputs) {
      if (!x || x.producer !== null || !x.requiresGrad || seen.has(x)) continue;
      seen.add(x);
      const list = out.get(i);
      if (list) list.push(x);
      else out.set(i, [x]);
    }
  });
  return out;
}

function sweep(
  outputs: readonly Tensor[],
  douts: readonly Tensor[] | undefined,
  tape: Tape,
  ready: Map<number, Tensor[]> | null,
  onLeafReady: ((leaf: Tensor) => void) | undefined,
): void {
  const grads = new Map<Tensor, Tensor>();
  try {
    outputs.forEach((out, i) => {
      if (!out.requiresGrad)
        throw new Error(`backward: ${out} does not require grad (no recorded op produced it)`);
      const seed = douts?.[i];
      if (!seed && out.numel !== 1) throw new Error(`backward: ${out} is not a scalar; pass its gradient`);
      if (seed && seed.numel !== out.numel)
        throw new Error(`backward: gradient ${seed} does not match ${out}`);
      const g = seed ? seed.alias() : keep(fill(Tensor.empty(out.shape, { device: out.device }), 1));
      route(out, g, grads);
    });
    for (let i = tape.entries.length - 1; i >= 0; i--) {
      const entry = tape.entries[i]!;
      runEntry(entry, grads);
      releaseEntry(entry);
      const done = ready?.get(i);
      if (done) for (const leaf of done) onLeafReady!(leaf);
    }
  } finally {
    for (const g of grads.values()) g.dispose();
    tape.clear();
  }
}

function runEntry(entry: TapeEntry, grads: Map<Tensor, Tensor>): void {
  const douts = entry.outputs.map((o) => grads.get(o) ?? null);
  if (douts.every((d) => d === null)) return;
  for (const o of entry.outputs) grads.delete(o);
  const rule = GRAD_RULES[entry.op];
  if (!rule) throw new Error(`backward: no gradient rule for op "${entry.op}" (add it to GRAD_RULES)`);
  // Rules may return their dout, views of it, or one tensor for several inputs: every routed
  // gradient is a private alias, and the rule's own results are disposed with the scope.
  scope(() => {
    const filled = douts.map((d, i) => d ?? fill(Tensor.empty(entry.outputs[i]!.shape), 0));
    const dins = rule(entry, filled);
    entry.inputs.forEach((input, i) => {
      const g = dins[i];
      if (g && input?.requiresGrad) route(input, g.alias(), grads);
    });
    for (const g of dins) g?.dispose();
    for (const d of douts) d?.dispose();
  });
}

// Send gradient `g` (owned) to tensor `t`: a leaf accumulates into .grad, an intermediate sums
// contributions from all its consumers until its producer's rule runs.
function route(t: Tensor, g: Tensor, grads: Map<Tensor, Tensor>): void {
  if (t.producer === null) {
    if (t.grad === null) {
      // Adopt g only when nobody else holds its memory (it may be the caller's dout, or a dout a
      // rule passed to several inputs); later calls accumulate into .grad in place.
      if (g.isContiguous && g.storage.refCount === 1) {
        t.grad = g;
        return;
      }
      t.grad = keep(copyInto(Tensor.empty(g.shape, { device: g.device }), g));
      g.dispose();
      return;
    }
    accumulate(t.grad, g);
    g.dispose();
    return;
  }
  const existing = grads.get(t);
  if (!existing) {
    grads.set(t, g);
    return;
  }
  // Accumulate in place only into memory nobody else holds (a rule's dout may feed two inputs).
  if (existing.isContiguous && existing.storage.refCount === 1) {
    accumulate(existing, g);
    g.dispose();
    return;
  }
  const sum = keep(add(existing, g));
  existing.dispose();
  g.dispose();
  grads.set(t, sum);
}
