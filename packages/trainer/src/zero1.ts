// ZeRO stage 1 (DeepSpeed's optimizer state partitioning) over the flat buffers: the flat parameter
// range [0, N) is cut into `size` equal shards of S = ceil(N / size) elements (the last padded with
// zeros); rank r keeps the optimizer state of shard r only. A step: the micro-batches' backward into
// the full flat gradient, a reduce-scatter (avg) that leaves each rank the mean gradient of its
// shard, the global gradient norm from the shards' norms (one scalar all-reduce), the optimizer on
// the shard, and an all-gather of the updated shards back into the full flat parameters.
//
// The shard is a FlatParams of its own (decay part, no-decay part, padding), so the optimizers run
// unchanged on it; padding has zero gradient and no weight decay, so it stays zero. Clipping: the
// norm is measured with max_norm 0 (no clipping), then the clipping coefficient is folded into the
// optimizer's `unscale`, which multiplies every raw gradient exactly as the clipped gradScale does.
import type { GptNeoXModel } from "@neox/models";
import { copyInto, FlatParams, keep, type Optimizer, type ParamSpec, Plan, Tensor } from "@neox/tensor";
import type { DataParallel } from "./data-parallel";
import type { StepOutcome, TrainStep } from "./step";

export interface ShardRange {
  /** First element of this rank's shard in the full flat buffer. */
  lo: number;
  /** One past its last real element (hi - lo < S on a padded last shard). */
  hi: number;
  /** Elements per shard, padding included. */
  S: number;
}

/** Rank r's shard of N elements cut `size` ways. */
export function shardRange(N: number, size: number, rank: number): ShardRange {
  const S = Math.ceil(N / size);
  const lo = Math.min(N, rank * S);
  return { lo, hi: Math.min(N, lo + S), S };
}

/** The shard as parameter specs: its decay part, its no-decay part, its padding (in that order). */
export function shardSpecs(r: ShardRange, decayEnd: number): ParamSpec[] {
  const decay = Math.max(0, Math.min(r.hi, decayEnd) - r.lo);
  const noDecay = r.hi - r.lo - decay;
  const pad = r.S - decay - noDecay;
  const specs: ParamSpec[] = [];
  if (decay > 0) specs.push({ name: "decay", shape: [decay], decay: true });
  if (noDecay > 0) specs.push({ name: "no_decay", shape: [noDecay], decay: false });
  if (pad > 0) specs.push({ name: "padding", shape: [pad], decay: false });
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
  /** size × S: the full gradient (then the gathered parameters) with the padding. */
  private readonly padded: Tensor;
  private readonly views: Tensor[];
  private copyGrads: Plan | null = null;
  private norm: Plan | null = null;
  private scatterParams: Plan | null = null;

  constructor(
    model: GptNeoXModel,
    private readonly dp: DataParallel,
  ) {
    this.full = model.registry.flat;
    const N = this.full.numel;
    this.range = shardRange(N, dp.size, dp.rank);
    this.shard = new FlatParams(shardSpecs(this.range, this.full.decayRange.numel));
    this.padded = keep(Tensor.empty([dp.size * this.range.S]));
    this.padded.write(new Float32Array(dp.size * this.range.S));
    this.views = [view(this.padded, 0, N)];
  }

  /** Registers the optimizer built over `shard` so checkpoints save and load it as full tensors. */
  adopt(opt: Optimizer): void {
    shardOf.set(opt, this.range);
  }

  /** The shard's parameters from the full flat parameters (at start and after a checkpoint load). */
  syncFromFull(): void {
    const host = new Float32Array(this.range.S);
    host.set(this.full.data.toFloat32Array().subarray(this.range.lo, this.range.hi));
    this.shard.data.write(host);
  }

  /** One ZeRO-1 step after the step's planned forward and backward; `opt` is built over `shard`. */
  async run(step: TrainStep, opt: Optimizer): Promise<StepOutcome> {
    step.runPass();
    const head = this.views[0]!;
    this.copyGrads = replay(this.copyGrads, () => copyInto(head, this.full.grads));
    await Promise.all([
      this.dp.group.reduceScatter(this.padded, this.shard.grads, { op: "avg" }),
      this.dp.group.allReduce(step.lossTensor, { op: "avg" }),
    ]);
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
      await this.dp.group.allGather(this.shard.data, this.padded);
      this.scatterParams = replay(this.scatterParams, () => {
        copyInto(this.full.data, head);
        this.full.refreshLowp();
      });
    }
    opt.scalars.set({ unscale, maxNorm });
    return { ...step.readLosses(), gradNorm, skipped };
  }

  /** Every rank: all-gathers each optimizer state into full host copies for rank 0's checkpoint. */
  async gatherState(opt: Optimizer): Promise<void> {
    const full = new Map<string, Float32Array>();
    for (const [name, t] of opt.state()) {
      await this.dp.group.allGather(t, this.padded);
      full.set(name, this.padded.toFloat32Array().slice(0, this.full.numel));
    }
    gatheredState.set(opt, full);
  }

  dispose(): void {
    for (const p of [this.copyGrads, this.norm, this.scatterParams]) p?.dispose();
    for (const v of this.views) v.dispose();
    this.padded.dispose();
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
