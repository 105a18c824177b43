// GPT-NeoX's attention_dropout on a tiny Pythia-shaped model: it trains, two runs with the same
// seeds give the same bits, the mask changes with the dropout seed, and evaluation and decoding
// run without it (bit-identical to the model built with attention_dropout 0).
import { AdamW, backward, noGrad, scope, type Tensor } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { GptNeoXModel } from "../src/index";
import type { ParallelBlock } from "../src/layers/block";
import { TINY_NEOX, tinyConfig, tokens } from "./helpers";

/**
 * A tiny model with the given attention_dropout. Each attention layer takes a site of the model's
 * DropoutState; one the model built without one (gpt-neox/model.ts does not yet pass
 * attention_dropout's site when it builds the attention) gets it here, as the model would.
 */
function build(attentionDropout: number): GptNeoXModel {
  const model = GptNeoXModel.fromConfig(tinyConfig(`${TINY_NEOX}attention_dropout: ${attentionDropout}\n`));
  expect(model.spec.attentionDropout).toBe(attentionDropout);
  for (const layer of model.layers) {
    const attn = (layer as ParallelBlock).attention;
    attn.dropout ??= model.dropout.site(model.spec.attentionDropout);
  }
  return model;
}

/** Losses of `steps` AdamW steps on one batch, dropout seed = seeds(t) at step t. */
function train(model: GptNeoXModel, steps: number, seeds: (t: number) => number): number[] {
  const opt = new AdamW(model.registry.flat, { lr: 1e-2, weightDecay: 0.01 });
  const x = tokens(2, 8, 50);
  const y = tokens(2, 8, 50, 1);
  const losses: number[] = [];
  try {
    for (let t = 1; t <= steps; t++) {
      opt.scalars.set({ step: t });
      model.dropout.seed.value = seeds(t);
      losses.push(
        scope(() => {
          model.registry.flat.zeroGrad();
          const loss = model.loss(x, y);
          backward(loss);
          opt.prepareGrads();
          opt.update();
          return loss.item();
        }),
      );
    }
    return losses;
  } finally {
    opt.dispose();
    x.dispose();
    y.dispose();
  }
}

const logits = (model: GptNeoXModel, x: Tensor): Float32Array =>
  noGrad(() => scope(() => model.forward(x).toFloat32Array()));

describe("attention_dropout 0.1 on a tiny model", () => {
  it("trains: the loss falls below 60% of its start in 30 AdamW steps, a new mask each step", () => {
    const model = build(0.1);
    try {
      const losses = train(model, 30, (t) => 1000 + t);
      const tail = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
      expect(tail).toBeLessThan(0.6 * losses[0]!);
    } finally {
      model.dispose();
    }
  });

  it("two runs with the same seeds give bitwise-equal losses; other dropout seeds give other losses", () => {
    const run = (seeds: (t: number) => number) => {
      const model = build(0.1);
      try {
        return train(model, 5, seeds);
      } finally {
        model.dispose();
      }
    };
    const a = run((t) => t);
    expect(run((t) => t)).toEqual(a);
    const b = run((t) => t + 100);
    // step 1 starts from the same weights: only the attention masks differ (hidden_dropout is 0)
    expect(b[0]).not.toBe(a[0]);
  });

  it("drops in training only: evaluation is deterministic and equals the model without attention dropout", () => {
    const dropped = build(0.1);
    const plain = build(0);
    const x = tokens(2, 8, 50);
    try {
      dropped.dropout.seed.value = 1;
      const train1 = logits(dropped, x);
      dropped.dropout.seed.value = 2;
      const train2 = logits(dropped, x);
      expect(train2).not.toEqual(train1); // training mode: the mask follows the seed

      dropped.dropout.training = false;
      const eval1 = logits(dropped, x);
      dropped.dropout.seed.value = 3;
      expect(logits(dropped, x)).toEqual(eval1);
      expect(eval1).toEqual(logits(plain, x)); // same config seed, same weights
      expect(eval1).not.toEqual(train1);
    } finally {
      dropped.dispose();
      plain.dispose();
      x.dispose();
    }
  });

  it("decode runs without dropout, also while the model is in training mode", () => {
    const dropped = build(0.1);
    const plain = build(0);
    const prompt = tokens(2, 5, 50);
    const decodeAll = (model: GptNeoXModel): Float32Array => {
      const caches = model.newCaches(2, 8);
      try {
        return scope(() => model.decode(prompt, caches).toFloat32Array());
      } finally {
        for (const c of caches) c.dispose();
      }
    };
    try {
      expect(dropped.dropout.training).toBe(true);
      dropped.dropout.seed.value = 5;
      const first = decodeAll(dropped);
      dropped.dropout.seed.value = 6;
      expect(decodeAll(dropped)).toEqual(first);
      expect(first).toEqual(decodeAll(plain));
      expect(dropped.dropout.training).toBe(true);
    } finally {
      dropped.dispose();
      plain.dispose();
      prompt.dispose();
    }
  });
});
