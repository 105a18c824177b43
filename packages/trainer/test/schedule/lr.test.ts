// AnnealingLR against neox-spec §7 oracle (4) (numbers verified there by executing GPT-NeoX's
// learning_rates.py) and against the §1.2 formulas worked by hand for the other styles.
import { parseConfigText, resolveParsed } from "@neox/config";
import { describe, expect, it } from "vitest";
import { AnnealingLR, annealingLRFromConfig } from "../../src/schedule/lr";

// GPT-NeoX's constant in the exponential style (learning_rates.py), written out here as the spec does.
// biome-ignore lint/suspicious/noApproximativeNumericConstant: GPT-NeoX's literal, deliberately not Math.LN2
const K = 0.693;

/** |actual − expected| ≤ rel·|expected|: the spec quotes 2-4 significant digits. */
function expectRel(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

const resolve = (yaml: string) => resolveParsed([parseConfigText(yaml, "run.yml")], {});

/** §7 (4): start 6e-4, min 6e-5, warmup 0.01 of 320,000 decay iterations. */
const SPEC_RUN = (style: string) =>
  [
    "optimizer:",
    "  type: Adam",
    "  params:",
    "    lr: 6.0e-4",
    "min_lr: 6.0e-5",
    "warmup: 0.01",
    `lr_decay_style: ${style}`,
    "lr_decay_iters: 320000",
    "train_iters: 400000",
    "",
  ].join("\n");

const at = (s: AnnealingLR, n: number) => s.step(n);

describe("AnnealingLR: neox-spec §7 worked numbers", () => {
  it("cosine: warmup_iter 3200 and every quoted rate, rising again past the decay end", () => {
    const s = annealingLRFromConfig(resolve(SPEC_RUN("cosine")));
    expect(s.stateDict()).toMatchObject({ warmup_iter: 3200, end_iter: 320000, decay_style: "cosine" });
    expectRel(s.lr(), 1.875e-7, 1e-12); // constructed at step(0): start/warmup_iter, not 0
    expectRel(at(s, 1600), 3e-4, 1e-12);
    expectRel(at(s, 3200), 6e-4, 1e-12);
    expectRel(at(s, 161600), 3.3e-4, 1e-12);
    expectRel(at(s, 320000), 6e-5, 1e-12);
    expectRel(at(s, 400000), 1.406e-4, 1e-3);
    expect(at(s, 400000)).toBeGreaterThan(at(s, 320000));
  });

  it("linear: lr(161600) = 3.0e-4", () => {
    const s = annealingLRFromConfig(resolve(SPEC_RUN("linear")));
    expectRel(at(s, 161600), 3.0e-4, 1e-12);
    expectRel(at(s, 0), 1.875e-7, 1e-12);
  });
});

describe("AnnealingLR: formulas", () => {
  it("warmup starts at start/W for step 0 and 1 alike (GPT-NeoX #1379), then rises linearly", () => {
    const s = new AnnealingLR({ startLr: 1, warmupIter: 10, endIter: 110, decayStyle: "constant" });
    expect(s.lr()).toBe(0.1);
    expect(at(s, 1)).toBe(0.1);
    expect(at(s, 5)).toBe(0.5);
    expect(at(s, 10)).toBe(1);
    expect(at(s, 11)).toBe(1);
  });

  it("no warmup when warmup_iter is 0: step 0 is already the decayed formula at n = 0", () => {
    const s = new AnnealingLR({ startLr: 2, warmupIter: 0, endIter: 100, decayStyle: "linear" });
    expect(s.lr()).toBe(2);
    expect(at(s, 25)).toBe(1.5); // 2·(100 − 25)/100
  });

  it("exponential: start·exp(−0.693·n'/E), n' and E counted after warmup", () => {
    const s = new AnnealingLR({ startLr: 1, warmupIter: 10, endIter: 110, decayStyle: "exponential" });
    expect(at(s, 60)).toBe(Math.exp((-K * 50) / 100));
    expect(at(s, 110)).toBe(Math.exp(-K));
    expectRel(at(s, 110), 0.5, 1e-3); // exp(−0.693) ≈ 1/2 over the window
    expect(at(s, 210)).toBe(Math.exp(-K * 2)); // keeps decaying past the end
  });

  it("constant: start after warmup, whatever the step", () => {
    const s = new AnnealingLR({
      startLr: 3e-4,
      warmupIter: 4,
      endIter: 100,
      decayStyle: "constant",
      minLr: 1e-5,
    });
    for (const n of [5, 50, 100, 1000]) expect(at(s, n)).toBe(3e-4);
  });

  it("linear ignores min_lr except as a floor", () => {
    const s = new AnnealingLR({ startLr: 1, warmupIter: 0, endIter: 100, decayStyle: "linear", minLr: 0.3 });
    expect(at(s, 50)).toBe(0.5); // 1·(100 − 50)/100, above the floor
    expect(at(s, 80)).toBe(0.3); // 0.2 floored
    expect(at(s, 150)).toBe(0.3); // negative past the end, floored
  });

  it("step() advances by one; the rate logged as train/learning_rate is read after that step", () => {
    const s = new AnnealingLR({ startLr: 1, warmupIter: 4, endIter: 20, decayStyle: "linear" });
    const used: number[] = [];
    const logged: number[] = [];
    for (let it = 1; it <= 3; it++) {
      used.push(s.lr()); // the optimizer update of iteration `it`
      s.step(); // DeepSpeed: lr_scheduler.step() after optimizer.step()
      logged.push(s.lr()); // training_log reads param_groups[0]["lr"]
    }
    expect(used).toEqual([0.25, 0.25, 0.5]); // max(1, n)/4 for n = 0, 1, 2
    expect(logged).toEqual([0.25, 0.5, 0.75]); // n = 1, 2, 3
    expect(s.iterations).toBe(3);
  });
});

describe("AnnealingLR: config", () => {
  it("lr_decay_fraction overrides lr_decay_iters: floor(train_iters · fraction)", () => {
    const s = annealingLRFromConfig(
      resolve("train_iters: 1000\nlr_decay_iters: 500\nlr_decay_fraction: 0.2555\nwarmup: 0.1\n"),
    );
    // floor(1000 · 0.2555) = 255; warmup_iter = 0.1 · 255
    expect(s.stateDict()).toMatchObject({ end_iter: 255, warmup_iter: 0.1 * 255, decay_style: "linear" });
  });

  it("without train_iters the length comes from the caller (training by epochs)", () => {
    const r = resolve("train_epochs: 2\n");
    expect(() => annealingLRFromConfig(r)).toThrow(
      /^train_iters = null \(GPT-NeoX's default\): the decay length is unknown/,
    );
    expect(annealingLRFromConfig(r, { trainIters: 700 }).stateDict()).toMatchObject({
      end_iter: 700,
      warmup_iter: 7,
    });
  });

  it("a decay length of 0 names the key and its line", () => {
    const r = resolve("train_iters: 10\nlr_decay_fraction: 0.05\n");
    expect(() => annealingLRFromConfig(r)).toThrow(
      "lr_decay_fraction = 0.05 (run.yml:2): the decay length resolves to 0 iterations; it must be > 0",
    );
  });

  it("defaults: optimizer lr 0.001, linear, min_lr 0, warmup 0.01", () => {
    expect(annealingLRFromConfig(resolve("train_iters: 200\n")).stateDict()).toEqual({
      start_lr: 0.001,
      warmup_iter: 2,
      num_iters: 0,
      decay_style: "linear",
      end_iter: 200,
      min_lr: 0,
    });
  });
});

describe("AnnealingLR: state dict", () => {
  const make = (o: { use?: boolean; override?: boolean; start?: number } = {}) =>
    new AnnealingLR({
      startLr: o.start ?? 1,
      warmupIter: 10,
      endIter: 100,
      decayStyle: "cosine",
      minLr: 0.1,
      useCheckpointLrScheduler: o.use ?? false,
      overrideLrScheduler: o.override ?? false,
    });

  it("round-trips, restoring num_iters and the rate", () => {
    const a = make();
    a.step(42);
    const b = make();
    b.loadStateDict(a.stateDict());
    expect(b.iterations).toBe(42);
    expect(b.lr()).toBe(a.lr());
  });

  it("a differing value is an error naming the field, unless a flag says which side wins", () => {
    const saved = make({ start: 2 });
    saved.step(30);
    const sd = saved.stateDict();
    expect(() => make().loadStateDict(sd)).toThrow(
      /checkpoint's start_lr \(2\) differs from this run's \(1\)/,
    );

    const fromCkpt = make({ use: true });
    fromCkpt.loadStateDict(sd);
    expect(fromCkpt.stateDict()).toEqual(sd);

    const ours = make({ override: true });
    ours.loadStateDict(sd);
    expect(ours.stateDict()).toEqual({ ...sd, start_lr: 1 });
    expect(ours.iterations).toBe(30);
  });

  it("refuses both flags at once", () => {
    expect(() => make({ use: true, override: true })).toThrow(/both set/);
  });
});
