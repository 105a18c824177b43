// How a data-parallel step reduces its gradient: the pass (forward and backward of every
// micro-batch, recorded as one plan) calls `onMark` at each gradient bucket the backward finished
// (grad-buckets.ts), which starts that bucket's collective on the communication thread; `settle`
// then reduces the losses and waits for all of them before the optimizer runs.
//   ZeRO stage 0 (AllReduceSync): each bucket all-reduced (mean) in place, on the last micro-batch
//     (the earlier ones accumulate into the flat gradient as one process does).
//   ZeRO stages 1 and 2 (ShardSync): each bucket reduce-scattered (mean) into the rank shards'
//     gradients, a bucket crossing the shards unevenly (reduceScatterV). Stage 1 on the last
//     micro-batch only. Stage 2 after every micro-batch, added into the shard's gradient: the
//     full-size gradient then only ever holds one micro-batch, and each bucket is zeroed and its
//     pages handed back to the system once reduced (discard), so it takes memory only between the
//     backward writing a bucket and the ring reducing it. The next micro-batch's backward waits for
//     those collectives first (a drain mark): they read the buffer it is about to write.
import type { ProcessGroup } from "@neox/parallel";
import type { FlatParams, Tensor } from "@neox/tensor";
import { DRAIN_MARK, GradBuckets } from "./grad-buckets";

export interface GradSync {
  readonly buckets: GradBuckets;
  /** Reduce every micro-batch's backward (stage 2) rather than only the last one's. */
  readonly everyMicroBatch: boolean;
  /** Recorded at the start of the pass: zeroes what the pass accumulates into. */
  beginPass(): void;
  /** The pass's host-mark handler: starts the collectives of the buckets final there, or drains. */
  onMark: (label: number) => void;
  /** After the pass: the losses' mean over the ranks, and every collective finished. */
  settle(losses: Tensor): Promise<void>;
  /**
   * Milliseconds this rank has spent blocked on communication (settle, drains, and what the caller
   * adds: ZeRO's parameter gather): the part of the collectives the backward did not hide.
   */
  waitedMs: number;
}

/** Where the gradient buckets are cut and whether they start during the backward. */
export interface BucketSettings {
  /** zero_optimization.reduce_bucket_size, in elements. */
  bucketSize: number;
  /** zero_optimization.overlap_comm. */
  overlap: boolean;
  /** No activation checkpointing: the backward sweeps one tape (grad-buckets.ts). */
  singleTape: boolean;
}

interface Raw {
  address: number;
  count: number;
  dtype: "f32";
}

abstract class BucketedSync implements GradSync {
  readonly buckets: GradBuckets;
  abstract readonly everyMicroBatch: boolean;
  protected pending: Promise<void>[] = [];
  waitedMs = 0;
  /** Each bucket's range of the flat gradient as a raw buffer (the addresses never move). */
  protected readonly inputs: readonly Raw[];

  constructor(
    protected readonly group: ProcessGroup,
    protected readonly flat: FlatParams,
    s: BucketSettings,
  ) {
    this.buckets = new GradBuckets(flat, s.bucketSize, s.overlap, s.singleTape);
    const base = flat.grads.address;
    this.inputs = this.buckets.buckets.map(({ lo, hi }) => ({
      address: base + lo * 4,
      count: hi - lo,
      dtype: "f32",
    }));
  }

  abstract beginPass(): void;
  protected abstract startBucket(b: number): Promise<void>;

  private readonly start = (b: number): void => {
    this.pending.push(this.startBucket(b));
  };

  readonly onMark = (label: number): void => {
    if (label !== DRAIN_MARK) {
      this.buckets.dispatch(label, this.start);
      return;
    }
    const t0 = performance.now();
    this.group.drain();
    this.waitedMs += performance.now() - t0;
  };

  async settle(losses: Tensor): Promise<void> {
    const t0 = performance.now();
    const all = [...this.pending, this.group.allReduce(losses, { op: "avg" })];
    this.pending = [];
    try {
      await Promise.all(all);
    } finally {
      this.waitedMs += performance.now() - t0;
    }
  }
}

/** ZeRO stage 0: every rank ends with the mean gradient. */
export class AllReduceSync extends BucketedSync {
  readonly everyMicroBatch = false;

  beginPass(): void {
    this.flat.zeroGrad();
  }

  protected startBucket(b: number): Promise<void> {
    return this.group.allReduce(this.inputs[b]!, { op: "avg" });
  }
}

/** ZeRO stages 1 and 2: rank r ends with the mean gradient of its shard [bounds[r], bounds[r+1]). */
export class ShardSync extends BucketedSync {
  readonly everyMicroBatch: boolean;
  /** Per bucket: every rank's count of its elements, and this rank's part of the shard gradient. */
  private readonly parts: readonly { counts: number[]; out: Raw }[];
  private readonly opts: { op: "avg"; accumulate: boolean; discard: boolean };

  /**
   * `bounds`: size + 1 increasing offsets, rank r's shard being [bounds[r], bounds[r + 1]) of the
   * flat buffer; `shard`: this rank's shard (its gradient receives the reduction).
   */
  constructor(
    group: ProcessGroup,
    flat: FlatParams,
    s: BucketSettings,
    bounds: readonly number[],
    private readonly shard: FlatParams,
    readonly stage: 1 | 2,
  ) {
    super(group, flat, s);
    this.everyMicroBatch = stage === 2;
    // stage 2 adds each micro-batch into the shard and zeroes the full gradient's bucket
    this.opts = { op: "avg", accumulate: stage === 2, discard: stage === 2 };
    const { rank, size } = group;
    const mine = bounds[rank]!;
    this.parts = this.buckets.buckets.map(({ lo, hi }) => {
      const counts: number[] = [];
      for (let r = 0; r < size; r++)
        counts.push(Math.max(0, Math.min(hi, bounds[r + 1]!) - Math.max(lo, bounds[r]!)));
      const at = Math.max(lo, mine) - mine;
      return { counts, out: { address: shard.grads.address + at * 4, count: counts[rank]!, dtype: "f32" } };
    });
  }

  beginPass(): void {
    // stage 2 accumulates the micro-batches in the shard; discard leaves the full gradient zeroed
    if (this.stage === 2) this.shard.zeroGrad();
    else this.flat.zeroGrad();
  }

  protected startBucket(b: number): Promise<void> {
    const { counts, out } = this.parts[b]!;
    return this.group.reduceScatterV(this.inputs[b]!, out, counts, this.opts);
  }
}
