// Dropout sites of a model: GPT-NeoX's hidden_dropout (the embedding output and each
// bias-dropout-add) and attention_dropout (the attention probabilities, dropped inside the fused
// attention kernel). Every call site gets its own counter range of the counter-based mask
// (offset = site · 2^36, so a site may drop up to 2^36 elements per step before ranges overlap);
// the seed is a Scalar the trainer bumps each step, so a plan draws a new mask per replay.
// `training = false` (evaluation, generation) makes every site the identity.
import { type AttentionDropout, dropout, Scalar, type Tensor } from "@neox/tensor";

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

  /**
   * The arguments of an op that drops `count` elements itself (the attention's B·NH·T²
   * probabilities), or undefined when this site drops nothing now (p = 0 or not training).
   */
  rng(count: number): AttentionDropout | undefined {
    if (!this.state.training || this.p === 0) return undefined;
    if (count > SITE_STRIDE)
      throw new Error(`dropout: one call drops ${count} elements, more than a site's range of 2^36 counters`);
    return { p: this.p, seed: this.state.seed, offset: this.offset };
  }
}
