// Gradient buckets: the flat gradient cut into contiguous ranges of at most `reduce_bucket_size`
// elements (DeepSpeed's zero_optimization key), each reduced over the data-parallel ranks by one
// collective. With `overlap_comm` a bucket's collective starts the moment the backward has
// finished every parameter in it (the backward's leaf readiness, @neox/tensor), so it runs on the
// communication thread while the backward computes the rest; without it every bucket starts when
// the backward returns.
//
// Readiness is worked out while the step is recorded and becomes host marks (one per bucket, its
// index as the label) at their places in the plan; a replayed step calls the data-parallel code
// back at those places (grad-sync.ts), so nothing here runs per step. Every rank computes the same
// order, so every rank issues the buckets' collectives in the same order, as MPI requires.
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
  /** What to pass to backward(): leaf readiness when overlapping, nothing otherwise. */
  readonly backwardOptions: BackwardOptions;
  /** The buckets each parameter (a leaf of the tape) overlaps. */
  private readonly ofLeaf = new Map<Tensor, number[]>();
  /** Parameters overlapping each bucket. */
  private readonly members: Int32Array;
  private readonly pending: Int32Array;
  private readonly started: Uint8Array;

  constructor(flat: FlatParams, bucketSize: number, overlap: boolean) {
    this.buckets = bucketRanges(flat.numel, bucketSize);
    this.members = new Int32Array(this.buckets.length);
    for (const [name, leaf] of flat.params) {
      const r = flat.ranges.get(name)!;
      if (r.numel === 0) continue;
      const first = Math.floor(r.offset / bucketSize);
      const last = Math.floor((r.offset + r.numel - 1) / bucketSize);
      const list: number[] = [];
      for (let b = first; b <= last; b++) {
        list.push(b);
        this.members[b]!++;
      }
      this.ofLeaf.set(leaf, list);
    }
    this.pending = new Int32Array(this.buckets.length);
    this.started = new Uint8Array(this.buckets.length);
    this.backwardOptions = overlap ? { onLeafReady: (leaf) => this.leafReady(leaf) } : {};
  }

  /** Before a backward whose buckets are to be reduced. */
  begin(): void {
    this.pending.set(this.members);
    this.started.fill(0);
  }

  /** After that backward: marks every bucket not started yet, from the back of the buffer. */
  finish(): void {
    for (let b = this.buckets.length - 1; b >= 0; b--) this.start(b);
  }

  private leafReady(leaf: Tensor): void {
    const list = this.ofLeaf.get(leaf);
    if (!list) return; // a leaf that is not a parameter of this buffer
    for (const b of list) if (--this.pending[b]! === 0) this.start(b);
  }

  private start(b: number): void {
    if (this.started[b]) return;
    this.started[b] = 1;
    hostMark(b);
  }
}
