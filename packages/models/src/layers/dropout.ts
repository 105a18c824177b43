// Dropout sites of a model: GPT-NeoX's hidden_dropout (the embedding output and each
// bias-dropout-add) and attention_dropout (the attention probabilities, dropped inside the fused
// attention kernel). Every call site gets its own counter range of the counter-based mask
// (offset = site · 2^36, so a site may drop up to 2^36 elements per step before ranges overlap);
// the seed is a Scalar the trainer bumps each step, so a plan draws a new mask per replay. A step
// of several micro-batches (gradient accumulation) selects one seed per micro-batch with `stream`
// before each micro-batch's forward, so their masks differ as GPT-NeoX's (whose generator advances)
// do. `training = false` (evaluation, generation) makes every site the identity.
import { type AttentionDropout, dropout, Scalar, type Tensor } from "@neox/tensor";

const SITE_STRIDE = 2 ** 36;

/** State shared by all dropout sites of one model. */
export class DropoutState {
  /** One seed per micro-batch of a step; `seeds[0]` is the seed of a one-micro-batch step. */
  readonly seeds: Scalar[] = [new Scalar(0, "dropout_seed_0")];
  training = true;
  private sites = 0;
  private current = 0;

  /** The seed of micro-batch 0 (a step without accumulation). */
  get seed(): Scalar {
    return this.seeds[0]!;
  }

  /** The seed sites use now. */
  get active(): Scalar {
    return this.seeds[this.current]!;
  }

  /** Selects micro-batch m's seed for the forward passes that follow (creating it on first use). */
  stream(m: number): void {
    while (this.seeds.length <= m) this.seeds.push(new Scalar(0, `dropout_seed_${this.seeds.length}`));
    this.current = m;
  }

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
    return dropout(x, this.state.training ? this.p : 0, { seed: this.state.active, offset: this.offset });
  }

  /**
   * The arguments of an op that drops `count` elements itself (the attention's B·NH·T²
   * probabilities), or undefined when this site drops nothing now (p = 0 or not training).
   */
  rng(count: number): AttentionDropout | undefined {
    if (!this.state.training || this.p === 0) return undefined;
    if (count > SITE_STRIDE)
      throw new Error(`dropout: one call drops ${count} elements, more than a site's range of 2^36 counters`);
    return { p: this.p, seed: this.state.active, offset: this.offset };
  }
}
