// Inverted dropout with a counter-based mask (kernels/cpu/dropout.h): element i of a call is kept
// when uniform(seed, offset + i) >= p and scaled by 1/(1-p). Nothing is stored: the backward
// regenerates the mask from the same (seed, offset). So the mask is a pure function of
// (seed, offset, p, element), and the same call with the same numbers drops the same elements.
// Give each call in a step its own counter range (offsets at least numel apart), and each step a
// new seed: pass the seed as a Scalar, which a plan re-reads on every replay (backward too).

import { record } from "../autograd/tape";
import { k } from "../kernels";
import type { Scalar } from "../kernels/kernel";
import { Tensor } from "../tensor";
import { dense } from "./basic";

export interface DropoutRng {
  /** Integer in [0, 2^53); a Scalar to change it per step under a plan. */
  seed: number | Scalar;
  /** First counter of this call; the call uses offset .. offset + numel - 1. */
  offset: number | Scalar;
}

/** x f32; p in [0, 1). p = 0 returns x itself and launches nothing (evaluation). */
export function dropout(x: Tensor, p: number, rng: DropoutRng): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p ${p} must be in [0, 1)`);
  if (p === 0) return x;
  const xc = dense(x);
  const out = Tensor.empty(x.shape, { device: x.device });
  const { seed, offset } = rng;
  k.dropoutForward(x.backend, { out, inp: xc, n: out.numel, p, seed, offset });
  record("dropout", [x], [out], [], { p, seed, offset });
  return out;
}
