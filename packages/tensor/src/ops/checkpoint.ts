// Activation checkpointing as an op (DESIGN §6): the forward runs `fn` without recording, so none
// of its intermediates stay alive; the tape keeps only the inputs and re-runs `fn` in backward
// (grad-rules.ts "checkpoint"). `fn` must be deterministic and return one tensor.

import { noGrad, record } from "../autograd/tape";
import type { Tensor } from "../tensor";

export function checkpoint(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[]): Tensor {
  const out = noGrad(() => fn(...inputs));
  record("checkpoint", inputs, [out], inputs, { fn });
  return out;
}
