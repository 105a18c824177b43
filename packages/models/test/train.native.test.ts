// Training: AdamW over the registry's flat buffers (weight decay on the decay group only) lowers the
// loss on a fixed batch, eagerly and as a recorded plan replayed with zero allocations.
import { AdamW, allocStats, backward, Plan, scope, Tensor } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { GptNeoXModel } from "../src/index";
import { TINY_GPT3, TINY_LLAMA, TINY_NEOX, tinyConfig, tokens } from "./helpers";

describe("training a tiny model on one batch", () => {
  for (const [name, yaml] of [
    ["Pythia-shaped", TINY_NEOX],
    ["GPT-3 shaped", TINY_GPT3],
    ["Llama-shaped", TINY_LLAMA],
  ] as const) {
    it(`${name}: the loss falls below half its start in 40 AdamW steps`, () => {
      const model = GptNeoXModel.fromConfig(tinyConfig(yaml));
      const opt = new AdamW(model.registry.flat, { lr: 1e-2, weightDecay: 0.01 });
      const x = tokens(2, 8, 50);
      const y = tokens(2, 8, 50, 1);
      const losses: number[] = [];
      try {
        for (let t = 1; t <= 40; t++) {
          opt.scalars.set({ step: t });
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
        // Uniform over 56 rows at start: ln 56 = 4.03.
        expect(losses[0]).toBeGreaterThan(3.5);
        expect(losses[0]).toBeLessThan(4.5);
        expect(losses.at(-1)!).toBeLessThan(losses[0]! / 2);
      } finally {
        opt.dispose();
        model.dispose();
        x.dispose();
        y.dispose();
      }
    });
  }

  it("a planned step replays with no allocations and matches the eager steps", () => {
    const run = (planned: boolean): number[] => {
      const model = GptNeoXModel.fromConfig(tinyConfig(`${TINY_NEOX}hidden_dropout: 0.1\n`));
      const opt = new AdamW(model.registry.flat, { lr: 1e-2 });
      const x = tokens(2, 8, 50);
      const y = tokens(2, 8, 50, 1);
      const step = () =>
        scope(() => {
          model.registry.flat.zeroGrad();
          const loss = model.loss(x, y);
          backward(loss);
          opt.prepareGrads();
          opt.update();
          return loss;
        });
      const losses: number[] = [];
      try {
        if (!planned) {
          for (let t = 1; t <= 5; t++) {
            opt.scalars.set({ step: t });
            model.dropout.seed.value = t;
            const loss = step();
            losses.push(loss.item());
            loss.dispose();
          }
          return losses;
        }
        opt.scalars.set({ step: 1 });
        model.dropout.seed.value = 1;
        model.prepare(2, 8);
        const { plan, result } = Plan.record(step);
        losses.push(result.item());
        const loss = plan.tensor(result);
        result.dispose();
        for (let t = 2; t <= 5; t++) {
          opt.scalars.set({ step: t });
          model.dropout.seed.value = t;
          const before = allocStats().calls;
          plan.run();
          expect(allocStats().calls).toBe(before);
          losses.push(loss.item());
        }
        plan.dispose();
        return losses;
      } finally {
        opt.dispose();
        model.dispose();
        x.dispose();
        y.dispose();
      }
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe("hidden dropout", () => {
  it("changes the loss while training, with a new mask per seed, and is off in evaluation", () => {
    const lossOf = (yaml: string, training: boolean, seed: number) => {
      const model = GptNeoXModel.fromConfig(tinyConfig(yaml));
      const x = tokens(2, 8, 50);
      const y = tokens(2, 8, 50, 1);
      try {
        model.dropout.training = training;
        model.dropout.seed.value = seed;
        return scope(() => model.loss(x, y).item());
      } finally {
        model.dispose();
        x.dispose();
        y.dispose();
      }
    };
    const withDropout = `${TINY_NEOX}hidden_dropout: 0.3\n`;
    const plain = lossOf(TINY_NEOX, true, 1);
    expect(lossOf(withDropout, false, 1)).toBe(plain);
    const a = lossOf(withDropout, true, 1);
    expect(a).not.toBe(plain);
    expect(lossOf(withDropout, true, 1)).toBe(a);
    expect(lossOf(withDropout, true, 2)).not.toBe(a);
  });
});

describe("loss", () => {
  it("a loss mask of 0 drops a position exactly as a negative label does", () => {
    const model = GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX));
    const x = tokens(2, 8, 50);
    const labels = tokens(2, 8, 50, 1).toHost() as Int32Array;
    const ignored = labels.map((l, i) => (i % 3 === 0 ? -1 : l));
    const mask = Float32Array.from(labels, (_, i) => (i % 3 === 0 ? 0 : 1));
    const y = Tensor.fromArray(labels, [2, 8], { dtype: "i32" });
    const yIgnored = Tensor.fromArray(ignored, [2, 8], { dtype: "i32" });
    const m = Tensor.fromArray(mask, [2, 8]);
    try {
      const masked = scope(() => model.loss(x, y, m).item());
      expect(masked).toBeCloseTo(
        scope(() => model.loss(x, yIgnored).item()),
        6,
      );
      expect(masked).not.toBeCloseTo(
        scope(() => model.loss(x, y).item()),
        6,
      );
    } finally {
      for (const t of [x, y, yIgnored, m]) t.dispose();
      model.dispose();
    }
  });
});

describe("bf16 working copy", () => {
  it("trains with bf16 GEMMs when the copy is refreshed after each update", () => {
    const model = GptNeoXModel.fromConfig(tinyConfig(TINY_LLAMA), { lowp: true });
    const flat = model.registry.flat;
    const opt = new AdamW(flat, { lr: 1e-2, weightDecay: 0.01 });
    const x = tokens(2, 8, 50);
    const y = tokens(2, 8, 50, 1);
    const losses: number[] = [];
    try {
      for (let t = 1; t <= 40; t++) {
        opt.scalars.set({ step: t });
        losses.push(
          scope(() => {
            flat.zeroGrad();
            const loss = model.loss(x, y);
            backward(loss);
            opt.prepareGrads();
            opt.update();
            flat.refreshLowp(); // the GEMMs read the bf16 copy, not the fp32 masters
            return loss.item();
          }),
        );
      }
      expect(losses.at(-1)!).toBeLessThan(losses[0]! / 2);
    } finally {
      opt.dispose();
      model.dispose();
      x.dispose();
      y.dispose();
    }
  });
});
