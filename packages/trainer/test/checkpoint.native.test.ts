// Checkpoints that do not fit fail with the file and the mismatch, before anything is loaded; a load
// directory without a checkpoint starts fresh; finetune loads the weights alone and starts at 0;
// keep_last_n_checkpoints deletes the oldest; training by epochs derives train_iters; a NaN loss
// stops with the iteration named.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointError, locateCheckpoint, Trainer } from "../src/index";
import { ArraySource, configOf, memoryMonitor, SEQ, TINY_MODEL, VOCAB } from "./helpers";

const root = mkdtempSync(join(tmpdir(), "neox-ckpt-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const BASE = {
  ...TINY_MODEL,
  train_micro_batch_size_per_gpu: 2,
  gradient_accumulation_steps: 1,
  train_iters: 4,
  optimizer: { type: "Adam", params: { lr: 0.01 } },
  checkpoint_factor: 2,
  eval_iters: 0,
};

const samples = (() => {
  const out = new Int32Array(100 * (SEQ + 1));
  for (let i = 0; i < out.length; i++) out[i] = (i * 31 + (i >> 3)) % VOCAB;
  return new ArraySource(out, SEQ);
})();

function trainer(extra: Record<string, unknown>, log: string[] = []) {
  const { monitor, sink } = memoryMonitor();
  const t = new Trainer(
    configOf({ ...BASE, ...extra }, VOCAB),
    { train: samples, valid: null, test: null, eod: null },
    monitor,
    {
      log: (l) => log.push(l),
    },
  );
  return { t, sink, log };
}

async function trainTo(dir: string, extra: Record<string, unknown> = {}) {
  const { t } = trainer({ save: dir, load: dir, ...extra });
  try {
    t.resume();
    return await t.run();
  } finally {
    t.dispose();
  }
}

/** Resuming from `dir` with `extra`; returns the error thrown (or fails when none is). */
function resumeError(dir: string, extra: Record<string, unknown> = {}): Error {
  const { t } = trainer({ load: dir, ...extra });
  const before = t.model.registry.flat.data.toFloat32Array();
  try {
    t.resume();
  } catch (e) {
    // nothing half-loaded: the weights are still the fresh initialisation
    expect(t.model.registry.flat.data.toFloat32Array()).toEqual(before);
    expect(t.iteration).toBe(0);
    return e as Error;
  } finally {
    t.dispose();
  }
  throw new Error("resume did not fail");
}

describe("checkpoint loading", () => {
  const good = join(root, "good");

  it("writes global_step2 and global_step4, latest last, and a later run resumes", async () => {
    const r = await trainTo(good);
    expect(r.checkpoint).toBe(join(good, "global_step4"));
    expect(readFileSync(join(good, "latest"), "utf8")).toBe("global_step4\n");
    expect(readdirSync(good).sort()).toEqual(["global_step2", "global_step4", "latest"]);
    const index = JSON.parse(readFileSync(join(good, "global_step4", "index.json"), "utf8"));
    expect(index.files.map((f: { path: string }) => f.path)).toEqual(
      expect.arrayContaining([
        "model.safetensors",
        "optim/state.safetensors",
        "trainer_state.json",
        "config.json",
      ]),
    );
    expect(index.tensors["layers.0.attention.query_key_value.weight"].shape).toEqual([48, 16]);
    expect(index.tensors["exp_avg_sq.norm.weight"].file).toBe("optim/state.safetensors");
  });

  it("starts fresh, saying why, when the load directory has no checkpoint", () => {
    expect(locateCheckpoint(join(root, "nothing-here"))).toEqual({
      kind: "fresh",
      why: `${join(root, "nothing-here")} does not exist yet`,
    });
    const log: string[] = [];
    const { t } = trainer({ load: join(root, "nothing-here") }, log);
    t.resume();
    t.dispose();
    expect(log[0]).toMatch(/no checkpoint to resume: .* does not exist yet; training from scratch/);
  });

  it("names the mismatch: latest pointing nowhere, a missing global_stepN, truncation, damage, shapes", () => {
    const copy = (name: string) => {
      const d = join(root, name);
      rmSync(d, { recursive: true, force: true });
      cpSync(good, d, { recursive: true });
      return d;
    };
    let d = copy("dangling");
    writeFileSync(join(d, "latest"), "global_step9\n");
    expect(resumeError(d).message).toBe(
      `${join(d, "latest")} names "global_step9", but ${join(d, "global_step9")} does not exist`,
    );

    expect(() => locateCheckpoint(good, 3)).toThrow(
      `${join(good, "global_step3")}: no checkpoint for iteration 3`,
    );

    d = copy("truncated");
    const model = join(d, "global_step4", "model.safetensors");
    const size = readFileSync(model).length;
    truncateSync(model, size - 100);
    expect(resumeError(d)).toBeInstanceOf(CheckpointError);
    expect(resumeError(d).message).toBe(
      `${model}: ${size - 100} bytes, expected ${size} (truncated or replaced)`,
    );

    d = copy("damaged");
    const state = join(d, "global_step4", "optim", "state.safetensors");
    const bytes = readFileSync(state);
    bytes[bytes.length - 5]! ^= 0xff;
    writeFileSync(state, bytes);
    expect(resumeError(d).message).toContain(`${state}: content does not match its SHA-256`);

    // A checkpoint of another width: the first tensor that does not fit, with both shapes.
    const msg = resumeError(good, { hidden_size: 32 }).message;
    expect(msg).toContain(
      `${join(good, "global_step4", "model.safetensors")}: parameter "word_embeddings.weight" has shape [56, 16], expected [56, 32]`,
    );

    // A resume must keep the batch layout.
    expect(resumeError(good, { train_micro_batch_size_per_gpu: 4 }).message).toContain(
      "saved with train_micro_batch_size_per_gpu = 2, this run has 4",
    );
  });

  it("finetune loads the weights only and starts at iteration 0", () => {
    const log: string[] = [];
    const { t } = trainer({ load: good, finetune: true }, log);
    try {
      t.resume();
      expect(t.iteration).toBe(0);
      expect(log[0]).toBe(
        `fine-tuning from ${join(good, "latest")} -> global_step4: weights loaded, starting at iteration 0`,
      );
      const saved = readFileSync(join(good, "global_step4", "model.safetensors"));
      expect(saved.length).toBeGreaterThan(0);
      for (const s of t.optimizer.state().values())
        expect(s.toFloat32Array().every((x) => x === 0)).toBe(true);
    } finally {
      t.dispose();
    }
  });

  it("no_save_optim saves weights alone; a full resume then asks for no_load_optim, which works", async () => {
    const d = join(root, "no-optim");
    await trainTo(d, { no_save_optim: true });
    expect(readdirSync(join(d, "global_step4")).sort()).toEqual([
      "config.json",
      "index.json",
      "model.safetensors",
      "trainer_state.json",
    ]);
    expect(resumeError(d).message).toBe(
      `${join(d, "global_step4")}: saved without optimizer state (no_save_optim); set no_load_optim or finetune to load weights only`,
    );
    const log: string[] = [];
    const { t } = trainer({ load: d, no_load_optim: true }, log);
    try {
      t.resume();
      expect(t.iteration).toBe(4);
      expect(log[0]).toBe(
        `resumed from ${join(d, "latest")} -> global_step4 at iteration 4 (optimizer state not loaded)`,
      );
    } finally {
      t.dispose();
    }
  });

  it("keep_last_n_checkpoints keeps the newest", async () => {
    const d = join(root, "keep");
    await trainTo(d, { train_iters: 8, checkpoint_factor: 1, keep_last_n_checkpoints: 2 });
    expect(readdirSync(d).sort()).toEqual(["global_step7", "global_step8", "latest"]);
  });
});

describe("the loop", () => {
  it("derives train_iters from train_epochs: len(loader) · epochs // gas", () => {
    const { t } = trainer({ train_iters: null, train_epochs: 2, gradient_accumulation_steps: 3 });
    try {
      // 100 samples, micro-batch 2: 50 micro-batches per pass; 50 · 2 // 3 = 33
      expect(t.trainIters).toBe(33);
    } finally {
      t.dispose();
    }
  });

  it("stops at a NaN or Inf loss, naming the iteration", async () => {
    const { t } = trainer({
      optimizer: { type: "SGD", params: { lr: 1e30 } },
      gradient_clipping: 0,
      train_iters: 20,
    });
    try {
      await expect(t.run()).rejects.toThrow(/^iteration \d+: the loss is (NaN|Infinity)/);
    } finally {
      t.dispose();
    }
  });
});
