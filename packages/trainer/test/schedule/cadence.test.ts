// Checkpoint, evaluation and exit cadence, keep-last-n, epochs and resume positions. Every expected
// list below is worked by hand from GPT-NeoX's rules (quoted in src/schedule/cadence.ts).
import { parseConfigText, resolveParsed } from "@neox/config";
import { describe, expect, it } from "vitest";
import {
  cadenceFromConfig,
  checkpointsToDelete,
  evalMicroBatches,
  isEvalIteration,
  isExitIteration,
  isFinalSave,
  saveIterations,
  shouldSave,
  trainItersFromEpochs,
  trainResumeSkip,
  validResumeSkip,
} from "../../src/schedule/cadence";

const resolve = (yaml: string) => resolveParsed([parseConfigText(yaml, "run.yml")], {});

describe("save_iters", () => {
  it("linear: multiples of the factor below train_iters, plus extra_save_iters", () => {
    expect(
      saveIterations({ factor: 1000, scale: "linear", extraSaveIters: [4, 1, 512, 2], trainIters: 3000 }),
    ).toEqual([1, 2, 4, 512, 1000, 2000]); // 3000 is the final save, not in save_iters
  });

  it("log: powers of the factor below train_iters", () => {
    expect(saveIterations({ factor: 2, scale: "log", extraSaveIters: [], trainIters: 1000 })).toEqual([
      2, 4, 8, 16, 32, 64, 128, 256, 512,
    ]);
    expect(saveIterations({ factor: 10, scale: "log", extraSaveIters: [], trainIters: 100000 })).toEqual([
      10, 100, 1000, 10000,
    ]);
  });

  it("a fractional linear factor saves only where the running sum is whole (2.5 → 5, 10)", () => {
    const r = resolve("train_iters: 11\nsave: /tmp/ck\ncheckpoint_factor: 2.5\n");
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].filter((i) => shouldSave(r, i))).toEqual([5, 10]);
  });

  it("Pythia's cadence: every 1000 steps plus log-spaced early steps", () => {
    const r = resolve(
      [
        "train_iters: 143000",
        "save: /tmp/ck",
        "checkpoint_factor: 1000",
        "extra_save_iters: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512]",
        "",
      ].join("\n"),
    );
    const c = cadenceFromConfig(r);
    const iters = [...c.saveIters].sort((a, b) => a - b);
    expect(iters.length).toBe(11 + 142); // 1000 … 142000
    expect(iters.slice(0, 13)).toEqual([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 2000]);
    expect(iters.at(-1)).toBe(142000);
    expect(shouldSave(r, 143000)).toBe(false);
    expect(isFinalSave(143000)).toBe(true);
    expect(isFinalSave(0)).toBe(false);
  });

  it("names the key and line of a factor that would never end the series", () => {
    expect(() =>
      cadenceFromConfig(resolve("train_iters: 10\ncheckpoint_scale: log\ncheckpoint_factor: 1\n")),
    ).toThrow("checkpoint_factor = 1 (run.yml:3): log checkpoints (checkpoint_scale: log) need a ratio > 1");
    expect(() => cadenceFromConfig(resolve("train_iters: 10\nsave: /tmp/ck\n"))).toThrow(
      /^save = "\/tmp\/ck" \(run\.yml:2\): set checkpoint_factor or extra_save_iters/,
    );
    expect(() =>
      cadenceFromConfig(resolve("train_iters: 10\ncheckpoint_factor: 5\nkeep_last_n_checkpoints: 0\n")),
    ).toThrow("keep_last_n_checkpoints = 0 (run.yml:3): expected a whole number ≥ 1");
  });
});

describe("keep_last_n_checkpoints", () => {
  it("deletes all but the newest n by natural order of global_stepN, leaving other names alone", () => {
    const names = [
      "global_step10",
      "global_step9",
      "latest",
      "global_step100",
      "global_step20.tmp",
      "configs",
      "global_step2",
    ];
    // natural order 2, 9, 10, 100 (a string sort would put 10 and 100 before 2)
    expect(checkpointsToDelete(names, 2)).toEqual(["global_step2", "global_step9"]);
    expect(checkpointsToDelete(names, 4)).toEqual([]);
    expect(checkpointsToDelete(names, 1)).toEqual(["global_step2", "global_step9", "global_step10"]);
  });
});

describe("evaluation and exit", () => {
  it("evaluates every eval_interval iterations, never when eval_iters or eval_interval is 0", () => {
    const e = { interval: 1000, iters: 10 };
    expect([999, 1000, 1500, 2000].map((i) => isEvalIteration(i, e))).toEqual([false, true, false, true]);
    expect(isEvalIteration(1000, { interval: 1000, iters: 0 })).toBe(false);
    expect(isEvalIteration(1000, { interval: 0, iters: 10 })).toBe(false);
    expect(evalMicroBatches(e, 4)).toBe(40);
  });

  it("exits when the iteration is a multiple of exit_interval", () => {
    expect([49, 50, 100].map((i) => isExitIteration(i, 50))).toEqual([false, true, true]);
    expect(isExitIteration(50, null)).toBe(false);
  });

  it("reads the defaults: eval every 1000 iterations for 100, no exit", () => {
    const c = cadenceFromConfig(resolve("train_iters: 10\n"));
    expect(c).toMatchObject({
      eval: { interval: 1000, iters: 100 },
      exitInterval: null,
      save: null,
      keepLastN: null,
    });
  });
});

describe("epochs and resume", () => {
  it("train_iters = len(train_loader) · epochs // GAS", () => {
    expect(trainItersFromEpochs(1000, 3, 8)).toBe(375); // 3000 // 8
    expect(trainItersFromEpochs(1001, 1, 2)).toBe(500); // floor, not round
  });

  it("the train sampler skips (iteration · GAS) % len micro-batches", () => {
    expect(trainResumeSkip(300, 8, 1000)).toBe(400); // 2400 % 1000
    expect(trainResumeSkip(125, 8, 1000)).toBe(0); // exactly one pass
  });

  it("the valid sampler skips ((iteration · GAS) // eval_interval) · eval_iters, modulo its length", () => {
    const e = { interval: 1000, iters: 10 };
    expect(validResumeSkip(300, 8, e, 25)).toBe(20); // 2400 // 1000 = 2 evaluations of 10
    expect(validResumeSkip(300, 8, e, 15)).toBe(5); // 20 % 15
    expect(validResumeSkip(300, 8, { interval: null, iters: 10 }, 15)).toBe(0);
  });
});
