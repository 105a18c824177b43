// From dataset samples to micro-batches as GPT-NeoX feeds them (neox-spec §2f): a global micro-batch
// is `micro · dp` consecutive samples of the (already shuffled) dataset, data-parallel rank r takes
// the slice [r·micro, (r+1)·micro); the loader drops a last partial batch and `itertools.cycle`s.
// Each sample holds seq_length + 1 tokens: inputs are text[:-1], labels text[1:]. The loss mask is 1,
// or 0 where the INPUT token is the end-of-document token when eod_mask_loss is set
// (get_ltor_masks_and_position_ids masks `data == eod_token`).
import type { SampleSource } from "@neox/data-mmap";

export interface MicroBatchHost {
  /** (micro, T) input ids. */
  tokens: Int32Array;
  /** (micro, T) next-token targets. */
  labels: Int32Array;
  /** (micro, T) 1 = counted in the loss. */
  mask: Float32Array;
}

export interface MicroBatchOptions {
  micro: number;
  dpRank?: number;
  dpSize?: number;
  /** The end-of-document id masked out of the loss, or null for no masking (eod_mask_loss false). */
  maskEod?: number | null;
}

export function allocMicroBatch(micro: number, T: number): MicroBatchHost {
  return {
    tokens: new Int32Array(micro * T),
    labels: new Int32Array(micro * T),
    mask: new Float32Array(micro * T),
  };
}

/** Reads global micro-batches in order from `position` on, wrapping at the loader's length. */
export class MicroBatchStream {
  /** Global micro-batches consumed so far (the data position a checkpoint records). */
  position = 0;
  readonly micro: number;
  readonly T: number;
  private readonly rank: number;
  private readonly world: number;
  private readonly maskEod: number | null;
  private readonly sample: Int32Array;

  constructor(
    readonly source: SampleSource,
    opts: MicroBatchOptions,
  ) {
    this.micro = opts.micro;
    this.rank = opts.dpRank ?? 0;
    this.world = opts.dpSize ?? 1;
    this.maskEod = opts.maskEod ?? null;
    this.T = source.seqLength;
    this.sample = new Int32Array(this.T + 1);
    if (this.length === 0)
      throw new Error(
        `the dataset has ${source.length} samples, fewer than one global micro-batch of ${this.micro * this.world}`,
      );
  }

  /** Global micro-batches per pass (GPT-NeoX's len(data_loader), drop_last). */
  get length(): number {
    return Math.floor(this.source.length / (this.micro * this.world));
  }

  /** Fills `out` with the next micro-batch of this rank and advances the position. */
  next(out: MicroBatchHost): void {
    const T = this.T;
    const g = this.position % this.length;
    const first = g * this.micro * this.world + this.rank * this.micro;
    for (let b = 0; b < this.micro; b++) {
      const s = this.source.getItem(first + b, this.sample);
      if (s.length !== T + 1)
        throw new Error(`sample ${first + b} has ${s.length} tokens, expected seq_length + 1 = ${T + 1}`);
      for (let t = 0; t < T; t++) {
        const tok = s[t]!;
        out.tokens[b * T + t] = tok;
        out.labels[b * T + t] = s[t + 1]!;
        out.mask[b * T + t] = tok === this.maskEod ? 0 : 1;
      }
    }
    this.position++;
  }
}
