// Exact resumption: 20 iterations straight, and 10 + stop + resume 10 (stopped by exit_interval, and
// by an interrupt between iterations) give bitwise-equal losses for iterations 11-20 and bitwise-
// equal final weights and optimizer state. The run uses gradient accumulation, hidden dropout (masks
// drawn from the seed and the iteration) and evaluation (the validation stream's position is part of
// the checkpoint).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Trainer } from "../src/index";
import { ArraySource, configOf, memoryMonitor, SEQ, TINY_MODEL, VOCAB } from "./helpers";

const root = mkdtempSync(join(tmpdir(), "neox-resume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const BASE = {
  ...TINY_MODEL,
  pos_emb: "rotary",
  rotary_pct: 0.5,
  gpt_j_residual: true,
  hidden_dropout: 0.1,
  train_micro_batch_size_per_gpu: 2,
  gradient_accumulation_steps: 2,
  train_iters: 20,
  optimizer: { type: "Adam", params: { lr: 0.01, betas: [0.9, 0.95], eps: 1e-8 } },
  lr_decay_style: "cosine",
  warmup: 0.1,
  min_lr: 0.001,
  gradient_clipping: 1.0,
  checkpoint_factor: 5,
  eval_interval: 5,
  eval_iters: 2,
  log_interval: 5,
};

function tokens(n: number, salt: number): Int32Array {
  const out = new Int32Array(n);
  let x = 12345 + salt;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = (x >>> 16) % VOCAB;
  }
  return out;
}
const trainData = new ArraySource(tokens(200 * (SEQ + 1), 1), SEQ);
const validData = new ArraySource(tokens(60 * (SEQ + 1), 2), SEQ);

async function train(dir: string, extra: Record<string, unknown>, stopAfter: number | null = null) {
  const r = configOf({ ...BASE, save: dir, load: dir, ...extra }, VOCAB);
  const { monitor, sink } = memoryMonitor();
  let t: Trainer | null = null;
  t = new Trainer(r, { train: trainData, valid: validData, test: null, eod: null }, monitor, {
    shouldStop: () => stopAfter !== null && t!.iteration >= stopAfter,
  });
  try {
    t.resume();
    const result = await t.run();
    const weights = t.model.registry.flat.data.toFloat32Array();
    const state = [...t.optimizer.state().values()].map((s) => s.toFloat32Array());
    return { result, weights, state, sink };
  } finally {
    t.dispose();
  }
}

describe("resuming reproduces the uninterrupted run bit for bit", () => {
  let straight: Awaited<ReturnType<typeof train>>;

  it("runs 20 iterations straight", async () => {
    straight = await train(join(root, "straight"), {});
    expect(straight.result.iteration).toBe(20);
    expect(straight.result.losses).toHaveLength(20);
    expect(straight.result.reason).toBe("done");
  });

  for (const how of ["exit_interval", "interrupt"] as const) {
    it(`10 iterations, stop by ${how}, resume 10`, async () => {
      const dir = join(root, how);
      const first =
        how === "exit_interval" ? await train(dir, { exit_interval: 10 }) : await train(dir, {}, 10);
      expect(first.result.iteration).toBe(10);
      expect(first.result.reason).toBe(how === "exit_interval" ? "exit_interval" : "interrupted");
      expect(first.result.checkpoint).toBe(join(dir, "global_step10"));
      expect(readFileSync(join(dir, "latest"), "utf8").trim()).toBe("global_step10");
      expect(first.result.losses).toEqual(straight.result.losses.slice(0, 10));

      const second = await train(dir, {});
      expect(second.result.iteration).toBe(20);
      expect(second.result.losses).toEqual(straight.result.losses.slice(10));
      expect(second.weights).toEqual(straight.weights);
      expect(second.state).toEqual(straight.state);
      // validation at iterations 15 and 20 read the same batches
      expect(second.sink.series("validation/lm_loss")).toEqual(
        straight.sink.series("validation/lm_loss").slice(-2),
      );
    });
  }
});
