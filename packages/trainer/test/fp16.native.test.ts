// fp16 with DeepSpeed's dynamic loss scaling: a scale too large for fp16 overflows the f16 GEMM
// inputs of the backward, the step is skipped (weights, optimizer state and the scheduler stay),
// the scale halves (after hysteresis) until the gradients fit, and training goes on; the
// checkpoint carries the scaler, so a resumed run continues with the same scale.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Trainer } from "../src/index";
import { ArraySource, configOf, memoryMonitor, SEQ, TINY_MODEL, VOCAB } from "./helpers";

const root = mkdtempSync(join(tmpdir(), "neox-fp16-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const samples = (() => {
  const out = new Int32Array(200 * (SEQ + 1));
  for (let i = 0; i < out.length; i++) out[i] = (i * 17 + (i >> 2)) % VOCAB;
  return new ArraySource(out, SEQ);
})();

const config = (extra: Record<string, unknown>) =>
  configOf(
    {
      ...TINY_MODEL,
      train_micro_batch_size_per_gpu: 2,
      gradient_accumulation_steps: 2,
      train_iters: 16,
      optimizer: { type: "Adam", params: { lr: 0.01 } },
      lr_decay_style: "linear",
      warmup: 0,
      precision: "fp16",
      // 2^30: a micro-batch's logit gradients (up to 1/16 each) times 2^30 overflow fp16's 65504
      fp16: {
        enabled: true,
        loss_scale: 0,
        initial_scale_power: 30,
        loss_scale_window: 1000,
        hysteresis: 2,
        min_loss_scale: 1,
      },
      eval_iters: 0,
      ...extra,
    },
    VOCAB,
  );

describe("fp16 dynamic loss scaling", () => {
  it("skips overflowing steps, halves the scale, and trains on", async () => {
    const { monitor, sink } = memoryMonitor();
    const t = new Trainer(config({}), { train: samples, valid: null, test: null, eod: null }, monitor);
    try {
      const r = await t.run();
      const scales = sink.series("train/loss_scale");
      const lrs = sink.series("train/learning_rate");
      expect(scales[0]).toBe(2 ** 30);
      expect(t.skipped).toBeGreaterThan(1);
      expect(t.optimizerStep).toBe(16 - t.skipped);
      // The first overflow spends the hysteresis; each later one halves the scale.
      expect(scales[1]).toBe(2 ** 30);
      for (let i = 2; i <= t.skipped; i++) expect(scales[i]).toBe(scales[i - 1]! / 2);
      // Skipped steps do not step the scheduler: the logged rate stays at its initial value.
      expect(new Set(lrs.slice(0, t.skipped)).size).toBe(1);
      expect(lrs.at(-1)!).toBeLessThan(lrs[0]!);
      // After the overflows every step is applied: the scale stays and the losses are finite.
      expect(r.losses.every(Number.isFinite)).toBe(true);
      expect(new Set(scales.slice(t.skipped)).size).toBe(1);
      expect(scales.at(-1)! * (1 / 16)).toBeLessThan(65504);
    } finally {
      t.dispose();
    }
  });

  it("a skipped step leaves the weights and optimizer state untouched", async () => {
    const { monitor } = memoryMonitor();
    const t = new Trainer(
      config({ train_iters: 1 }),
      { train: samples, valid: null, test: null, eod: null },
      monitor,
    );
    try {
      const before = t.model.registry.flat.data.toFloat32Array();
      await t.run();
      expect(t.skipped).toBe(1);
      expect(t.model.registry.flat.data.toFloat32Array()).toEqual(before);
      for (const s of t.optimizer.state().values())
        expect(s.toFloat32Array().every((x) => x === 0)).toBe(true);
    } finally {
      t.dispose();
    }
  });

  it("resumes with the scaler's state", async () => {
    const dir = join(root, "resume");
    const run = async (extra: Record<string, unknown>) => {
      const { monitor, sink } = memoryMonitor();
      const t = new Trainer(
        config({ save: dir, load: dir, checkpoint_factor: 8, ...extra }),
        {
          train: samples,
          valid: null,
          test: null,
          eod: null,
        },
        monitor,
      );
      try {
        t.resume();
        const r = await t.run();
        return { losses: r.losses, scales: sink.series("train/loss_scale"), skipped: t.skipped };
      } finally {
        t.dispose();
      }
    };
    const straight = await run({ save: join(root, "straight"), load: join(root, "straight") });
    const first = await run({ exit_interval: 8 });
    const second = await run({});
    expect([...first.losses, ...second.losses]).toEqual(straight.losses);
    expect([...first.scales, ...second.scales]).toEqual(straight.scales);
    expect(second.skipped).toBe(straight.skipped);
  });
});
