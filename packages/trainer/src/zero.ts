// ZeRO stages 1 and 2 (DeepSpeed's optimizer state and gradient partitioning) over the flat
// buffers: the flat parameter range [0, N) is cut into `size` shards of B = floor(N / size)
// elements, the last rank's also holding the N mod size left over; rank r keeps the optimizer
// state of shard r only. A step: the micro-batches' forward and backward, the gradient buckets
// reduce-scattered (mean) into the shards' gradients as the backward completes them (grad-sync.ts:
// stage 1 on the last micro-batch, stage 2 on every one, accumulating in the shard), the global
// gradient norm from the shards' norms (one scalar all-reduce), the optimizer on the shard, and an
// all-gather of the shards straight into the full flat parameters plus a broadcast of the rest.
//
// The shard is a FlatParams of its own (its decay part, then its no-decay part), so the optimizers
// run unchanged on it. Memory per rank, in fp32 elements for Adam: full parameters (N), the full
// gradient (N at stage 1; at stage 2 only the pages of buckets written and not yet reduced), the
// shard's two moments (2N / size) and at stage 2 its gradient (N / size), against 4N at stage 0:
// the shard's parameters (and at stage 1 its gradient) are views of the full buffers, reduced into
// and gathered from in place. Clipping: the norm is measured with max_norm 0 (no clipping), then
// the clipping coefficient is folded into the optimizer's `unscale`, which multiplies every raw
// gradient exactly as the clipped gradScale does.
import type { GptNeoXModel } from "@neox/models";
import { FlatParams, keep, type Optimizer, type ParamSpec, Plan, Tensor } from "@neox/tensor";
import type { DataParallel } from "./data-parallel";
import { type BucketSettings, ShardSync } from "./grad-sync";
import type { StepOutcome, TrainStep } from "./step";

export interface ShardRange {
  /** First element of this rank's shard in the full flat buffer. */
  lo: number;
  /** One past its last element. */
  hi: number;
  /** The block every rank has (floor(N / size)); the last rank's shard is B + N mod size. */
  B: number;
}

/** Rank r's shard of N elements cut `size` ways. */
export function shardRange(N: number, size: number, rank: number): ShardRange {
  const B = Math.floor(N / size);
  if (B < 1) throw new Error(`ZeRO: ${N} parameters cannot be sharded over ${size} ranks`);
  const lo = rank * B;
  return { lo, hi: rank === size - 1 ? N : lo + B, B };
}

/** The shard as parameter specs: its decay part, then its no-decay part. */
export function shardSpecs(r: ShardRange, decayEnd: number): ParamSpec[] {
  const decay = Math.max(0, Math.min(r.hi, decayEnd) - r.lo);
  const noDecay = r.hi - r.lo - decay;
  const specs: ParamSpec[] = [];
  if (decay > 0) specs.push({ name: "decay", shape: [decay], decay: true });
  if (noDecay > 0) specs.push({ name: "no_decay", shape: [noDecay], decay: false });
  return specs;
}

/** Shard ranges of optimizers that hold one shard, for the checkpoint code (optimizer.ts). */
export const shardOf = new WeakMap<Optimizer, ShardRange>();
/** Full per-state host copies gathered before a save (gatherState), for optimizerStateByName. */
export const gatheredState = new WeakMap<Optimizer, Map<string, Float32Array>>();

const view = (t: Tensor, offset: number, n: number) =>
  keep(new Tensor(t.storage, [n], "f32", undefined, t.offset + offset));

export class ZeroSharded {
  readonly range: ShardRange;
  /** The shard's parameters and gradient: what the optimizer is built over. */
  readonly shard: FlatParams;
  /** Reduces the gradient buckets into the shards' gradients (given to the TrainStep). */
  readonly sync: ShardSync;
  private readonly full: FlatParams;
  private readonly size: number;
  private readonly last: boolean;
  /** N mod size: the parameters past size·B, gathered apart (a broadcast from the last rank). */
  private readonly rest: number;
  /** The full parameters' first size·B elements, and this rank's block of them (its shard's head). */
  private readonly v: Record<"dataHead" | "ownHead", Tensor>;
  /** The flat parameters past size·B (the last rank's shard ends with them); null when none. */
  private readonly tail: Tensor | null;
  private norm: Plan | null = null;
  private lowp: Plan | null = null;

  constructor(
    model: GptNeoXModel,
    private readonly dp: DataParallel,
    readonly stage: 1 | 2,
    buckets: BucketSettings,
  ) {
    this.full = model.registry.flat;
    const N = this.full.numel;
    this.size = dp.size;
    this.range = shardRange(N, dp.size, dp.rank);
    const { B } = this.range;
    this.last = dp.rank === dp.size - 1;
    this.rest = N - dp.size * B;
    // the shard's parameters are its range of the full ones (the update writes them in place, and
    // the all-gather sends them from there); at stage 1 its gradient is the range of the full
    // gradient the reduce-scatter writes in place; stage 2 accumulates it apart (the full gradient
    // is zeroed bucket by bucket)
    const { lo, hi } = this.range;
    const data = view(this.full.data, lo, hi - lo);
    const grads = stage === 1 ? view(this.full.grads, lo, hi - lo) : undefined;
    try {
      this.shard = new FlatParams(shardSpecs(this.range, this.full.decayRange.numel), {
        over: { data, grads },
      });
    } finally {
      data.dispose();
      grads?.dispose();
    }
    this.v = {
      dataHead: view(this.full.data, 0, dp.size * B),
      ownHead: view(this.full.data, lo, B),
    };
    this.tail = this.rest > 0 ? view(this.full.data, dp.size * B, this.rest) : null;
    const bounds = Array.from({ length: dp.size }, (_, r) => r * B);
    bounds.push(N);
    this.sync = new ShardSync(dp.group, this.full, buckets, bounds, this.shard, stage);
  }

  /** Registers the optimizer built over `shard` so checkpoints save and load it as full tensors. */
  adopt(opt: Optimizer): void {
    shardOf.set(opt, this.range);
  }

  /** One step: the planned forward and backward reduced into the shard, then the shard's update. */
  async run(step: TrainStep, opt: Optimizer): Promise<StepOutcome> {
    const g = this.dp.group;
    step.runPass();
    await step.settle();
    const unscale = opt.scalars.get("unscale");
    const maxNorm = opt.scalars.get("maxNorm");
    opt.scalars.set({ maxNorm: 0 });
    this.norm = replay(this.norm, () => opt.prepareGrads());
    const mine = opt.scalars.read().gradNorm;
    const t0 = performance.now();
    const gradNorm = Math.sqrt(await this.dp.sum(mine * mine));
    this.sync.waitedMs += performance.now() - t0;
    const skipped = !Number.isFinite(gradNorm);
    if (!skipped) {
      // the kernel's clipping coefficient (global-norm.cc prepare_grads), folded into unscale
      const c = maxNorm > 0 ? maxNorm / (gradNorm + 1e-6) : 1;
      opt.scalars.set({ unscale: unscale * Math.min(1, c) });
      step.runOptimizer();
      // in place: each rank's block is already where the others' land around it
      const gathered = [g.allGather(this.v.ownHead, this.v.dataHead)];
      if (this.tail) gathered.push(g.broadcast(this.tail, this.size - 1));
      const t0 = performance.now();
      await Promise.all(gathered);
      this.sync.waitedMs += performance.now() - t0;
      if (this.full.lowp) this.lowp = replay(this.lowp, () => this.full.refreshLowp());
    }
    opt.scalars.set({ unscale, maxNorm });
    return { ...step.readLosses(), gradNorm, skipped };
  }

  /** Every rank: all-gathers each optimizer state into full host copies for rank 0's checkpoint. */
  async gatherState(opt: Optimizer): Promise<void> {
    const g = this.dp.group;
    const { B } = this.range;
    const N = this.full.numel;
    const full = new Map<string, Float32Array>();
    const out = keep(Tensor.empty([N]));
    try {
      for (const [name, t] of opt.state()) {
        const head = view(t, 0, B);
        const outHead = view(out, 0, this.size * B);
        const outRest = this.rest > 0 ? view(out, this.size * B, this.rest) : null;
        try {
          if (this.last && outRest) outRest.write(t.toFloat32Array().slice(B, B + this.rest));
          await g.allGather(head, outHead);
          if (outRest) await g.broadcast(outRest, this.size - 1);
          full.set(name, out.toFloat32Array());
        } finally {
          for (const x of [head, outHead, outRest]) x?.dispose();
        }
      }
    } finally {
      out.dispose();
    }
    gatheredState.set(opt, full);
  }

  dispose(): void {
    for (const p of [this.norm, this.lowp]) p?.dispose();
    for (const t of Object.values(this.v)) t.dispose();
    this.tail?.dispose();
    this.shard.dispose();
  }
}

/** Records `body` as a plan on the first call and replays it after. */
function replay(plan: Plan | null, body: () => void): Plan {
  if (plan) {
    plan.run();
    return plan;
  }
  return Plan.record(body).plan;
}
