// DeepSpeed's DynamicLossScaler and GPT-NeoX's 50-overflow abort. The scale sequences below are
// worked by hand, step by step, from the update rule quoted in src/schedule/loss-scale.ts.
import { parseConfigText, resolveParsed } from "@neox/config";
import { describe, expect, it } from "vitest";
import {
  LossScaleError,
  LossScaler,
  type LossScalerOptions,
  lossScalerFromConfig,
  MAX_CONSECUTIVE_OVERFLOWS,
} from "../../src/schedule/loss-scale";

const resolve = (yaml: string) => resolveParsed([parseConfigText(yaml, "run.yml")], {});

const BASE: LossScalerOptions = {
  lossScale: 0,
  initScale: 16,
  scaleWindow: 3,
  hysteresis: 2,
  consecutiveHysteresis: false,
  minScale: 1,
};
// clean (false) and overflow (true) steps, one per optimizer step
const STEPS = [false, false, false, true, true, true, false, true, false, false, false, true];

/** The scale after each update. */
function run(s: LossScaler, steps: boolean[], from = 1): number[] {
  return steps.map((overflow, i) => {
    s.update(overflow, from + i);
    return s.scale;
  });
}

describe("DynamicLossScaler", () => {
  it("doubles after `window` clean steps; hysteresis delays only the first halving", () => {
    const s = new LossScaler(BASE);
    // cur_iter 2: (2 − (−1)) % 3 == 0 → 32. Overflow at 3: hysteresis 2 → 1, scale kept. 4, 5: halve.
    // 7: cur_hysteresis is still 1 (a clean step does not restore it) → 4. 10: (10 − 7) % 3 == 0 → 8,
    // cur_hysteresis back to 2, so the overflow at 11 only counts it down.
    expect(run(s, STEPS)).toEqual([16, 16, 32, 32, 16, 8, 8, 4, 4, 4, 8, 8]);
    expect(s.skippedSteps).toBe(5);
    expect(s.consecutiveOverflows).toBe(1);
  });

  it("consecutive_hysteresis restores the tolerance on every clean step", () => {
    const s = new LossScaler({ ...BASE, consecutiveHysteresis: true });
    // as above until 6, whose clean step restores hysteresis 2, so the overflow at 7 keeps 8
    expect(run(s, STEPS)).toEqual([16, 16, 32, 32, 16, 8, 8, 8, 8, 8, 16, 16]);
  });

  it("never halves below min_loss_scale, and an overflow at the minimum is an error naming the iteration", () => {
    const opts = { ...BASE, initScale: 4, hysteresis: 1, minScale: 3 };
    const s = new LossScaler(opts);
    expect(run(s, [true])).toEqual([3]); // max(4/2, 3)
    expect(() => s.update(true, 2)).toThrow(
      /overflowed at iteration 2 with the loss scale already at fp16.min_loss_scale \(3\)/,
    );

    const lenient = new LossScaler({ ...opts, raiseAtMinScale: false });
    expect(run(lenient, [true, true, true])).toEqual([3, 3, 3]);
  });

  it("a static scale never changes, but overflow steps are still skipped and counted", () => {
    const s = new LossScaler({ ...BASE, lossScale: 128 });
    expect(s.dynamic).toBe(false);
    expect(run(s, STEPS)).toEqual(STEPS.map(() => 128));
    expect(s.skippedSteps).toBe(5);
  });

  it(`stops on the ${MAX_CONSECUTIVE_OVERFLOWS}th overflow skip in a row, naming the iteration`, () => {
    const s = new LossScaler({ ...BASE, lossScale: 128 });
    run(s, Array(49).fill(true), 1); // iterations 1-49
    run(s, [false], 50); // resets the run of skips
    run(s, Array(49).fill(true), 51); // 51-99: 49 in a row
    let err: unknown;
    try {
      s.update(true, 100);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LossScaleError);
    expect((err as LossScaleError).iteration).toBe(100);
    expect((err as Error).message).toContain(
      "skipped 50 iterations in a row due to gradient overflow (iterations 51-100",
    );
  });

  it("state dict round trip: a restored scaler continues exactly as the original", () => {
    const a = new LossScaler(BASE);
    run(a, STEPS.slice(0, 8));
    const b = new LossScaler(BASE);
    b.loadStateDict(a.stateDict());
    expect(b.stateDict()).toEqual(a.stateDict());
    expect(run(b, STEPS.slice(8), 9)).toEqual(run(a, STEPS.slice(8), 9));
    expect(() => new LossScaler({ ...BASE, lossScale: 8 }).loadStateDict(a.stateDict())).toThrow(
      /checkpoint's scaling is dynamic but this run's fp16.loss_scale makes it static/,
    );
  });
});

describe("lossScalerFromConfig", () => {
  it("is null without fp16", () => {
    expect(lossScalerFromConfig(resolve("precision: bfloat16\n"))).toBeNull();
    expect(lossScalerFromConfig(resolve("train_iters: 1\n"))).toBeNull();
  });

  it("reads a GPT-NeoX fp16 dict (Pythia's)", () => {
    const s = lossScalerFromConfig(
      resolve(
        [
          "fp16:",
          "  enabled: true",
          "  loss_scale: 0",
          "  loss_scale_window: 1000",
          "  initial_scale_power: 12",
          "  hysteresis: 2",
          "  min_loss_scale: 1",
          "",
        ].join("\n"),
      ),
    );
    expect(s?.dynamic).toBe(true);
    expect(s?.scale).toBe(4096);
    expect(s?.options).toMatchObject({
      scaleWindow: 1000,
      hysteresis: 2,
      minScale: 1,
      consecutiveHysteresis: false,
    });
  });

  it("one dynamic key given: DeepSpeed's config defaults fill the rest", () => {
    const s = lossScalerFromConfig(resolve("fp16:\n  enabled: true\n  hysteresis: 3\n"));
    expect(s?.options).toMatchObject({ initScale: 2 ** 16, scaleWindow: 1000, hysteresis: 3, minScale: 1 });
  });

  it("no dynamic key given: DynamicLossScaler()'s own defaults, 2^32 and hysteresis 1", () => {
    for (const yaml of ["fp16:\n  enabled: true\n", "precision: fp16\n"]) {
      const s = lossScalerFromConfig(resolve(yaml));
      expect(s?.options).toMatchObject({ initScale: 2 ** 32, scaleWindow: 1000, hysteresis: 1, minScale: 1 });
    }
  });

  it("loss_scale > 0 is static", () => {
    const s = lossScalerFromConfig(resolve("fp16:\n  enabled: true\n  loss_scale: 512\n"));
    expect(s?.dynamic).toBe(false);
    expect(s?.scale).toBe(512);
  });

  it("a window of 0 names the dict key and its line", () => {
    expect(() => lossScalerFromConfig(resolve("fp16:\n  enabled: true\n  loss_scale_window: 0\n"))).toThrow(
      "fp16.loss_scale_window = 0 (run.yml:3): expected a whole number ≥ 1",
    );
  });
});
