// Token and learned position embeddings, GPT-NeoX's EmbeddingPipe: `word_embeddings.weight`
// [V_pad, C] and, with pos_emb: learned, `position_embeddings.weight` [max_position_embeddings, C]
// added to the word embedding; with pos_emb: sinusoidal a fixed table, row p = [sin(p·f) ‖ cos(p·f)]
// with f_j = 10000^(-2j/C), is added instead. Rotary and ALiBi positions live in the attention, so
// their input stage is the word embedding alone (the variant is fixed when the model is built).
// B batch, T time, C channels, V padded vocabulary.
import { add, embedding, keep, Tensor } from "@neox/tensor";
import type { Init } from "../init";
import type { Param, ParamCollector } from "../params";

export class Embedding {
  readonly weight: Param;

  constructor(pc: ParamCollector, rows: number, C: number, init: Init) {
    this.weight = pc.add("weight", [rows, C], true, init);
  }

  /** ids (...) i32 -> (..., C) */
  forward(ids: Tensor): Tensor {
    return embedding(this.weight.t, ids);
  }
}

/** The model's input stage: tokens (B, T) and their positions (B, T) -> (B·T, C). */
export interface InputEmbedding {
  readonly word: Embedding;
  forward(tokens: Tensor, positions: Tensor): Tensor;
}

/** Word embedding only (rotary, ALiBi or no positions). */
export class WordEmbedding implements InputEmbedding {
  readonly word: Embedding;

  constructor(pc: ParamCollector, V: number, C: number, init: Init) {
    this.word = new Embedding(pc.child("word_embeddings"), V, C, init);
  }

  forward(tokens: Tensor, _positions: Tensor): Tensor {
    return this.word.forward(tokens).view(tokens.numel, -1); // (B·T, C)
  }
}

/** Word plus learned absolute position embedding (GPT-2/GPT-3 style, pos_emb: learned). */
export class WordAndPositionEmbedding implements InputEmbedding {
  readonly word: Embedding;
  readonly position: Embedding;

  constructor(pc: ParamCollector, V: number, maxPositions: number, C: number, init: Init) {
    this.word = new Embedding(pc.child("word_embeddings"), V, C, init);
    this.position = new Embedding(pc.child("position_embeddings"), maxPositions, C, init);
  }

  forward(tokens: Tensor, positions: Tensor): Tensor {
    const x = add(this.word.forward(tokens), this.position.forward(positions)); // (B, T, C)
    return x.view(tokens.numel, -1); // (B·T, C)
  }
}

/**
 * The sinusoidal table GPT-NeoX's SinusoidalPositionalEmbedding adds (Vaswani et al. 2017, halves
 * concatenated rather than interleaved): (rows, C) f32, row p = [sin(p·f_0..) ‖ cos(p·f_0..)],
 * f_j = 1 / 10000^(2j / C). Computed in f64, rounded once.
 */
export function sinusoidalTable(rows: number, C: number): Tensor {
  if (C % 2 !== 0) throw new Error(`sinusoidal positions need an even hidden_size, got ${C}`);
  const half = C / 2;
  const out = new Float32Array(rows * C);
  for (let j = 0; j < half; j++) {
    const f = 1 / 10000 ** ((2 * j) / C);
    for (let p = 0; p < rows; p++) {
      out[p * C + j] = Math.sin(p * f);
      out[p * C + half + j] = Math.cos(p * f);
    }
  }
  return Tensor.fromArray(out, [rows, C]);
}

/** Word embedding plus the fixed sinusoidal table (pos_emb: sinusoidal); no position parameters. */
export class WordAndSinusoidalEmbedding implements InputEmbedding {
  readonly word: Embedding;
  private readonly table: Tensor;

  constructor(pc: ParamCollector, V: number, maxPositions: number, C: number, init: Init) {
    this.word = new Embedding(pc.child("word_embeddings"), V, C, init);
    this.table = keep(sinusoidalTable(maxPositions, C));
  }

  forward(tokens: Tensor, positions: Tensor): Tensor {
    const x = add(this.word.forward(tokens), embedding(this.table, positions)); // (B, T, C)
    return x.view(tokens.numel, -1); // (B·T, C)
  }

  dispose(): void {
    this.table.dispose();
  }
}
