// The optimizer a config names, over the model's flat parameters (GPT-NeoX's two weight-decay groups
// are the flat buffer's two ranges), and its state as named per-parameter tensors for checkpoints:
// "<state>.<parameter>" (e.g. "exp_avg.layers.0.mlp.linear1.weight"), whatever the layout: under
// ZeRO stage 1 (zero.ts) a rank's optimizer holds one shard, and the full state comes from the
// shards gathered before a save; a load writes each rank its shard of the full state.
import type { GptNeoXModel } from "@neox/models";
import { AdamW, type FlatParams, Lion, type Optimizer, SGD } from "@neox/tensor";
import type { OptimizerSettings } from "./settings";
import { gatheredState, shardOf } from "./zero";

/** The optimizer over the model's flat parameters, or over `flat` (a ZeRO-1 shard). */
export function buildOptimizer(
  model: GptNeoXModel,
  o: OptimizerSettings,
  flat: FlatParams = model.registry.flat,
): Optimizer {
  switch (o.kind) {
    case "adam":
      return new AdamW(flat, {
        lr: o.lr,
        beta1: o.betas[0],
        beta2: o.betas[1],
        eps: o.eps,
        weightDecay: o.weightDecay,
      });
    case "lion":
      return new Lion(flat, { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], weightDecay: o.weightDecay });
    case "sgd":
      return new SGD(flat, {
        lr: o.lr,
        momentum: o.momentum,
        dampening: o.dampening,
        nesterov: o.nesterov,
        weightDecay: o.weightDecay,
      });
  }
}

/** The optimizer's flat state split per parameter: "<state>.<param>" -> (shape, host copy). */
export function optimizerStateByName(
  model: GptNeoXModel,
  opt: Optimizer,
): Map<string, { shape: readonly number[]; data: Float32Array }> {
  const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  const gathered = shardOf.has(opt) ? gatheredState.get(opt) : undefined;
  if (shardOf.has(opt) && !gathered)
    throw new Error(
      "optimizerStateByName: a ZeRO-1 optimizer's state must be gathered first (ZeroStage1.gatherState)",
    );
  for (const [state, flat] of opt.state()) {
    const host = gathered ? gathered.get(state)! : flat.toFloat32Array();
    for (const e of model.registry.entries())
      out.set(`${state}.${e.name}`, { shape: e.shape, data: host.subarray(e.offset, e.offset + e.numel) });
  }
  return out;
}

/** The names and shapes `optimizerStateByName` gives, without reading anything. */
export function optimizerStateShapes(model: GptNeoXModel, opt: Optimizer): Map<string, readonly number[]> {
  const out = new Map<string, readonly number[]>();
  for (const state of opt.state().keys())
    for (const e of model.registry.entries()) out.set(`${state}.${e.name}`, e.shape);
  return out;
}

/** Writes per-parameter optimizer state (as read from a checkpoint) back into the flat buffers. */
export function loadOptimizerState(
  model: GptNeoXModel,
  opt: Optimizer,
  byName: ReadonlyMap<string, Float32Array>,
): void {
  const shard = shardOf.get(opt);
  for (const [state, flat] of opt.state()) {
    const host = new Float32Array(model.registry.flat.numel);
    for (const e of model.registry.entries()) host.set(byName.get(`${state}.${e.name}`)!, e.offset);
    if (!shard) flat.write(host);
    else {
      flat.write(host.slice(shard.lo, shard.hi));
    }
  }
}
