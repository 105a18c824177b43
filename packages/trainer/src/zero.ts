// ZeRO stage 1 (DeepSpeed's optimizer state partitioning) over the flat buffers: the flat parameter
// range [0, N) is cut into `size` shards of B = floor(N / size) elements, the last rank's also
// holding the N mod size left over; rank r keeps the optimizer state of shard r only. A step: the
// micro-batches' backward into the full flat gradient, a reduce-scatter (avg) of the first size·B
// elements straight from the flat gradient plus an all-reduce of the few left over, the global
// gradient norm from the shards' norms (one scalar all-reduce), the optimizer on the shard, and an
// all-gather of the shards straight into the full flat parameters plus a broadcast of the rest.
//
// The shard is a FlatParams of its own (its decay part, then its no-decay part), so the optimizers
// run unchanged on it. Memory per rank, in fp32 elements for Adam: full parameters and gradient
// (2N), the shard's parameters and gradient (2N / size) and its two moments (2N / size), against
// 4N at stage 0; the shard's own copies go once the MPI engine takes in-place (MPI_IN_PLACE)
// reduce-scatters and all-gathers, so the shard can be a view of the flat buffers. Clipping: the
// norm is measured with max_norm 0 (no clipping), then the clipping coefficient is folded into the
// optimizer's `unscale`, which multiplies every raw gradient exactly as the clipped gradScale does.
import type { GptNeoXModel } from "@neox/models";
import { copyInto, FlatParams, keep, type Optimizer, type ParamSpec, Plan, Tensor } from "@neox/tensor";
import type { DataParallel } from "./data-parallel";
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
  if (B < 1) throw new Error(`ZeRO stage 1: ${N} parameters cannot be sharded over ${size} ranks`);
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
  keep(new Tensor(t.storage, [n], "f32", undefined, offset));

export class ZeroStage1 {
  readonly range: ShardRange;
  /** The shard's parameters and gradient: what the optimizer is built over. */
  readonly shard: FlatParams;
  private readonly full: FlatParams;
  private readonly size: number;
  private readonly last: boolean;
  /** N mod size: the elements past size·B, reduced and gathered apart. */
  private readonly rest: number;
  private readonly v: Record<"gradsHead" | "dataHead" | "shardGradHead" | "shardDataHead", Tensor>;
  /** The flat gradient's and parameters' elements past size·B; null when there are none. */
  private readonly tail: { grads: Tensor; data: Tensor } | null;
  /** The last rank's shard past B (its share of the rest), else null. */
  private readonly shardRest: { grads: Tensor; data: Tensor } | null;
  private copyRest: Plan | null = null;
  private norm: Plan | null = null;
  private publishRest: Plan | null = null;
  private lowp: Plan | null = null;

  constructor(
    model: GptNeoXModel,
    private readonly dp: DataParallel,
  ) {
    this.full = model.registry.flat;
    const N = this.full.numel;
    this.size = dp.size;
    this.range = shardRange(N, dp.size, dp.rank);
    const { B } = this.range;
    this.last = dp.rank === dp.size - 1;
    this.rest = N - dp.size * B;
    this.shard = new FlatParams(shardSpecs(this.range, this.full.decayRange.numel));
    this.v = {
      gradsHead: view(this.full.grads, 0, dp.size * B),
      dataHead: view(this.full.data, 0, dp.size * B),
      shardGradHead: view(this.shard.grads, 0, B),
      shardDataHead: view(this.shard.data, 0, B),
    };
    this.tail =
      this.rest > 0
        ? {
            grads: view(this.full.grads, dp.size * B, this.rest),
            data: view(this.full.data, dp.size * B, this.rest),
          }
        : null;
    this.shardRest =
      this.last && this.rest > 0
        ? { grads: view(this.shard.grads, B, this.rest), data: view(this.shard.data, B, this.rest) }
        : null;
  }

  /** Registers the optimizer built over `shard` so checkpoints save and load it as full tensors. */
  adopt(opt: Optimizer): void {
    shardOf.set(opt, this.range);
  }

  /** The shard's parameters from the full flat parameters (at start and after a checkpoint load). */
  syncFromFull(): void {
    this.shard.data.write(this.full.data.toFloat32Array().slice(this.range.lo, this.range.hi));
  }

  /** One ZeRO-1 step after the step's planned forward and backward; `opt` is built over `shard`. */
  async run(step: TrainStep, opt: Optimizer): Promise<StepOutcome> {
    const g = this.dp.group;
    step.runPass();
    // the same collectives in the same order on every rank
    const reduced = [
      g.reduceScatter(this.v.gradsHead, this.v.shardGradHead, { op: "avg" }),
      g.allReduce(step.lossTensor, { op: "avg" }),
    ];
    const tail = this.tail;
    if (tail) reduced.push(g.allReduce(tail.grads, { op: "avg" }));
    await Promise.all(reduced);
    const rest = this.shardRest;
    if (rest && tail) this.copyRest = replay(this.copyRest, () => copyInto(rest.grads, tail.grads));
    const unscale = opt.scalars.get("unscale");
    const maxNorm = opt.scalars.get("maxNorm");
    opt.scalars.set({ maxNorm: 0 });
    this.norm = replay(this.norm, () => opt.prepareGrads());
    const mine = opt.scalars.read().gradNorm;
    const gradNorm = Math.sqrt(await this.dp.sum(mine * mine));
    const skipped = !Number.isFinite(gradNorm);
    if (!skipped) {
      // the kernel's clipping coefficient (global-norm.cc prepare_grads), folded into unscale
      const c = maxNorm > 0 ? maxNorm / (gradNorm + 1e-6) : 1;
      opt.scalars.set({ unscale: unscale * Math.min(1, c) });
      step.runOptimizer();
      if (rest && tail) this.publishRest = replay(this.publishRest, () => copyInto(tail.data, rest.data));
      const gathered = [g.allGather(this.v.shardDataHead, this.v.dataHead)];
      if (tail) gathered.push(g.broadcast(tail.data, this.size - 1));
      await Promise.all(gathered);
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
    for (const p of [this.copyRest, this.norm, this.publishRest, this.lowp]) p?.dispose();
    for (const t of Object.values(this.v)) t.dispose();
    this.tail?.grads.dispose();
    this.tail?.data.dispose();
    this.shardRest?.grads.dispose();
    this.shardRest?.data.dispose();
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
