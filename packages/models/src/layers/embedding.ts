// Token and learned position embeddings, GPT-NeoX's EmbeddingPipe: `word_embeddings.weight`
// [V_pad, C] and, with pos_emb: learned, `position_embeddings.weight` [max_position_embeddings, C]
// added to the word embedding. Rotary and ALiBi positions live in the attention instead, so their
// input stage is the word embedding alone (the variant is fixed when the model is built).
// B batch, T time, C channels, V padded vocabulary.
import { add, embedding, type Tensor } from "@neox/tensor";
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
