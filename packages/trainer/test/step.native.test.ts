// The training step: a planned step (recorded once, replayed) gives the same bits as eager steps,
// with gradient accumulation, hidden and attention dropout and activation checkpointing on, and
// allocates nothing after the first; each micro-batch of a step draws its own dropout masks;
// activation checkpointing changes no bit of the result.
import { allocStats } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { MicroBatchStream, Trainer } from "../src/index";
import { ArraySource, configOf, memoryMonitor, SEQ, TINY_MODEL, VOCAB } from "./helpers";

const BASE = {
  ...TINY_MODEL,
  num_layers: 3,
  pos_emb: "rotary",
  gpt_j_residual: true,
  hidden_dropout: 0.1,
  attention_dropout: 0.1,
  train_micro_batch_size_per_gpu: 2,
  gradient_accumulation_steps: 3,
  train_iters: 6,
  optimizer: { type: "Adam", params: { lr: 0.01 } },
  gradient_clipping: 1.0,
  eval_iters: 0,
};

function randomSamples(n: number, salt: number): ArraySource {
  const out = new Int32Array(n * (SEQ + 1));
  let x = 99 + salt;
  for (let i = 0; i < out.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = (x >>> 16) % VOCAB;
  }
  return new ArraySource(out, SEQ);
}

async function losses(extra: Record<string, unknown>, planned: boolean, source = randomSamples(64, 1)) {
  const { monitor } = memoryMonitor();
  const t = new Trainer(
    configOf({ ...BASE, ...extra }, VOCAB),
    { train: source, valid: null, test: null, eod: null },
    monitor,
    {
      planned,
    },
  );
  try {
    const r = await t.run();
    return { losses: r.losses, weights: t.model.registry.flat.data.toFloat32Array() };
  } finally {
    t.dispose();
  }
}

describe("the training step", () => {
  it("planned equals eager bit for bit, and replays allocate nothing", async () => {
    const eager = await losses({}, false);
    const planned = await losses({}, true);
    expect(planned.losses).toEqual(eager.losses);
    expect(planned.weights).toEqual(eager.weights);

    const { monitor } = memoryMonitor();
    const t = new Trainer(
      configOf({ ...BASE, train_iters: 5 }, VOCAB),
      {
        train: randomSamples(64, 2),
        valid: null,
        test: null,
        eod: null,
      },
      monitor,
    );
    try {
      const counts: number[] = [];
      // Count native allocations per iteration through the monitor's log call.
      const calls = () => allocStats().calls;
      let last = calls();
      monitor.log = () => {
        const now = calls();
        counts.push(now - last);
        last = now;
      };
      await t.run();
      expect(counts).toHaveLength(5);
      expect(counts.slice(1)).toEqual([0, 0, 0, 0]);
    } finally {
      t.dispose();
    }
  });

  it("activation checkpointing changes no bit", async () => {
    const plain = await losses({}, true);
    const ckpt = await losses({ checkpoint_activations: true, checkpoint_num_layers: 2 }, true);
    expect(ckpt.losses).toEqual(plain.losses);
    expect(ckpt.weights).toEqual(plain.weights);
  });

  it("each micro-batch of a step draws its own dropout masks", async () => {
    // Every sample the same: with one shared seed the three micro-batches would have equal losses.
    const same = new ArraySource(
      new Int32Array(64 * (SEQ + 1)).map((_, i) => (i * 7) % (SEQ + 1)),
      SEQ,
    );
    const { monitor } = memoryMonitor();
    const t = new Trainer(
      configOf({ ...BASE, train_iters: 1 }, VOCAB),
      { train: same, valid: null, test: null, eod: null },
      monitor,
    );
    try {
      const stream = new MicroBatchStream(same, { micro: 2 });
      expect(stream.length).toBe(32);
      const host = { tokens: new Int32Array(16), labels: new Int32Array(16), mask: new Float32Array(16) };
      for (let m = 0; m < 3; m++) {
        stream.next(host);
        t.step.write(m, host);
      }
      t.optimizer.scalars.set({ lr: 0.01, step: 1, unscale: 1 / 3, maxNorm: 1 });
      for (let m = 0; m < 3; m++) t.model.dropout.seeds[m]!.value = 1000 + m;
      const out = t.step.run();
      expect(new Set(out.losses).size).toBe(3);
    } finally {
      t.dispose();
    }
  });
});
