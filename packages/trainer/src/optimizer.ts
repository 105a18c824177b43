// The optimizer a config names, over the model's flat parameters (GPT-NeoX's two weight-decay groups
// are the flat buffer's two ranges), and its state as named per-parameter tensors for checkpoints:
// "<state>.<parameter>" (e.g. "exp_avg.layers.0.mlp.linear1.weight"), whatever the layout.
import type { GptNeoXModel } from "@neox/models";
import { AdamW, Lion, type Optimizer, SGD } from "@neox/tensor";
import type { OptimizerSettings } from "./settings";

export function buildOptimizer(model: GptNeoXModel, o: OptimizerSettings): Optimizer {
  const flat = model.registry.flat;
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
  for (const [state, flat] of opt.state()) {
    const host = flat.toFloat32Array();
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
  for (const [state, flat] of opt.state()) {
    const host = new Float32Array(flat.numel);
    for (const e of model.registry.entries()) host.set(byName.get(`${state}.${e.name}`)!, e.offset);
    flat.write(host);
  }
}
