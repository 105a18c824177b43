// Gradient buckets: the flat gradient cut into contiguous ranges of at most `reduce_bucket_size`
// elements (DeepSpeed's zero_optimization key), each reduced over the data-parallel ranks by one
// collective. With `overlap_comm` a bucket's collective starts the moment the backward has
// finished every parameter in it (the backward's leaf readiness, @neox/tensor), so it runs on the
// communication thread while the backward computes the rest; without it every bucket starts when
// the backward returns.
//
// Readiness comes from the backward's leaf reports (@neox/tensor's onLeafReady, which also covers
// the private tapes of activation-checkpointed bodies): each report is a host mark with a running
// number as its label, recorded in the step's plan. After a backward the numbers where each bucket
// became final (the last report of each of its parameters) are known, and the mark handler
// (`dispatch`) starts a bucket at that number from then on: in every replay of the plan, and in
// later eager passes. The first pass has no map yet: with one tape (no activation checkpointing)
// every leaf is reported once, at its last use, so a bucket starts at its last member's report
// then too; with checkpointed bodies a leaf may be reported again from a later tape, so the first
// pass starts every bucket at the end mark, as does a pass without overlap_comm. Every rank computes the same map, so every rank issues the
// buckets' collectives in the same order, as MPI requires.
//
// The flat layout is the decay group then the no-decay group (FlatParams), each in module order:
// in a GPT-NeoX model the output embedding's buckets finish first, the layers' weights follow from
// the last layer down, and the input embedding and the norms and biases (the no-decay group, whose
// first layer finishes last) close the backward.
import { type BackwardOptions, type FlatParams, hostMark, type Tensor } from "@neox/tensor";

/** A half-open range [lo, hi) of the flat gradient. */
export interface Bucket {
  lo: number;
  hi: number;
}

/** The mark label of "wait until every collective issued so far has finished" (grad-sync.ts). */
export const DRAIN_MARK = -1;
/** The mark label of the end of a backward: every bucket not started yet starts. */
export const END_MARK = -2;

/** [0, N) cut into contiguous buckets of at most `size` elements (the last one shorter). */
export function bucketRanges(N: number, size: number): Bucket[] {
  if (!(Number.isInteger(size) && size > 0))
    throw new Error(`gradient buckets: the bucket size must be a positive integer, got ${size}`);
  const out: Bucket[] = [];
  for (let lo = 0; lo < N; lo += size) out.push({ lo, hi: Math.min(N, lo + size) });
  return out;
}

export class GradBuckets {
  readonly buckets: readonly Bucket[];
  /** What to pass to backward(): leaf reports when overlapping, nothing otherwise. */
  readonly backwardOptions: BackwardOptions;
  /** The buckets each parameter (a leaf of the tape) overlaps. */
  private readonly ofLeaf = new Map<Tensor, number[]>();
  /** By report number: the buckets final there (from the last backward that reported). */
  private startsAt: number[][] = [];
  /** The current backward's reports: the number of the last one of each leaf. */
  private readonly lastReport = new Map<Tensor, number>();
  private reports = 0;
  /** Buckets started since the last end mark (dispatch). */
  private readonly started: Uint8Array;
  /** Parameters overlapping each bucket; and those not reported yet in a first pass. */
  private readonly members: Int32Array;
  private readonly pending: Int32Array;
  /** A first pass on one tape: buckets are mapped as their last member is reported. */
  private provisional = false;

  /**
   * `singleTape`: the backward sweeps one tape (no activation-checkpointed bodies), so each leaf's
   * one report is final and the first pass can start buckets early too.
   */
  constructor(
    flat: FlatParams,
    bucketSize: number,
    private readonly overlap: boolean,
    private readonly singleTape = false,
  ) {
    this.buckets = bucketRanges(flat.numel, bucketSize);
    for (const [name, leaf] of flat.params) {
      const r = flat.ranges.get(name)!;
      if (r.numel === 0) continue;
      const first = Math.floor(r.offset / bucketSize);
      const last = Math.floor((r.offset + r.numel - 1) / bucketSize);
      this.ofLeaf.set(
        leaf,
        Array.from({ length: last - first + 1 }, (_, i) => first + i),
      );
    }
    this.started = new Uint8Array(this.buckets.length);
    this.members = new Int32Array(this.buckets.length);
    for (const list of this.ofLeaf.values()) for (const b of list) this.members[b]!++;
    this.pending = new Int32Array(this.buckets.length);
    this.backwardOptions = overlap ? { onLeafReady: (leaf) => this.report(leaf) } : {};
  }

  /** Before a backward whose buckets are to be reduced (while recording or eager). */
  begin(): void {
    this.reports = 0;
    this.lastReport.clear();
    this.provisional = this.overlap && this.singleTape && this.startsAt.length === 0;
    if (this.provisional) this.pending.set(this.members);
  }

  /** After that backward: the end mark, then the map of where each bucket became final. */
  finish(): void {
    hostMark(END_MARK);
    if (!this.overlap) return;
    const final = new Array<number>(this.buckets.length).fill(-1);
    const never = new Uint8Array(this.buckets.length);
    for (const [leaf, list] of this.ofLeaf) {
      const at = this.lastReport.get(leaf);
      for (const b of list) {
        if (at === undefined) never[b] = 1;
        else final[b] = Math.max(final[b]!, at);
      }
    }
    const startsAt: number[][] = [];
    for (let b = this.buckets.length - 1; b >= 0; b--) {
      if (never[b] || final[b]! < 0) continue;
      const at = final[b]!;
      const list = startsAt[at];
      if (list) list.push(b);
      else startsAt[at] = [b];
    }
    this.startsAt = startsAt;
  }

  /**
   * The host-mark handler's part: calls `start(b)` for each bucket that becomes final at `label` (a
   * report number), or for every bucket not started yet at the end mark (from the back).
   */
  dispatch(label: number, start: (bucket: number) => void): void {
    if (label === END_MARK) {
      for (let b = this.buckets.length - 1; b >= 0; b--) if (!this.started[b]) start(b);
      this.started.fill(0);
      return;
    }
    const list = this.startsAt[label];
    if (!list) return;
    for (const b of list) {
      if (this.started[b]) continue;
      this.started[b] = 1;
      start(b);
    }
  }

  private report(leaf: Tensor): void {
    if (!this.ofLeaf.has(leaf)) return; // not a parameter of this buffer (a checkpointed body's input)
    const n = this.reports++;
    this.lastReport.set(leaf, n);
    if (this.provisional) {
      for (const b of this.ofLeaf.get(leaf)!) {
        if (--this.pending[b]! > 0) continue;
        const list = this.startsAt[n];
        if (list) list.push(b);
        else this.startsAt[n] = [b];
      }
    }
    hostMark(n);
  }
}
