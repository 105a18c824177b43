// Hidden dropout (GPT-NeoX's hidden_dropout, applied to the embedding output and inside each
// bias-dropout-add). Every call site gets its own counter range of the counter-based mask
// (offset = site · 2^36, so a site may drop up to 2^36 elements per step before ranges overlap);
// the seed is a Scalar the trainer bumps each step, so a plan draws a new mask per replay.
// `training = false` (evaluation, generation) makes every site the identity.
import { dropout, Scalar, type Tensor } from "@neox/tensor";

const SITE_STRIDE = 2 ** 36;

/** State shared by all dropout sites of one model. */
export class DropoutState {
  readonly seed = new Scalar(0, "dropout_seed");
  training = true;
  private sites = 0;

  /** A new call site with probability p. */
  site(p: number): Dropout {
    return new Dropout(this, p, this.sites++ * SITE_STRIDE);
  }
}

export class Dropout {
  constructor(
    private readonly state: DropoutState,
    readonly p: number,
    readonly offset: number,
  ) {}

  forward(x: Tensor): Tensor {
    // p = 0 returns x itself and launches nothing.
    return dropout(x, this.state.training ? this.p : 0, { seed: this.state.seed, offset: this.offset });
  }
}
