// AdamW, Lion and SGD over flat parameters with their step numbers in a StepScalars buffer:
// a recorded prepareGrads + update replays bitwise like eager steps while lr, t and unscale
// change between runs (written into the buffer, never re-read by the plan), without allocating;
// the norm and clipping coefficient match a float64 computation; a NaN gradient skips the step.
import { describe, expect, it } from "vitest";
import {
  AdamW,
  allocStats,
  FlatParams,
  Lion,
  type Optimizer,
  Plan,
  SGD,
  StepScalars,
  type Tensor,
} from "../src/index";
import { randn, rng } from "./helpers/gradcheck";

// A decay group of 2 weights (one over 64K elements, so the kernels split it into blocks) and a
// no-decay group.
function flatParams(seed: number): FlatParams {
  const params = new FlatParams([
    { name: "w1", shape: [300, 250], decay: true },
    { name: "b1", shape: [300], decay: false },
    { name: "w2", shape: [17, 3], decay: true },
  ]);
  params.data.write(randn(params.numel, rng(seed), 0.5));
  return params;
}

const makers: Record<string, (p: FlatParams) => Optimizer> = {
  AdamW: (p) => new AdamW(p, { lr: 1e-3, weightDecay: 0.1, beta2: 0.95, maxGradNorm: 15 }),
  Lion: (p) => new Lion(p, { lr: 1e-4, weightDecay: 0.1, maxGradNorm: 15 }),
  SGD: (p) => new SGD(p, { lr: 1e-2, weightDecay: 0.01, momentum: 0.9, nesterov: true, maxGradNorm: 15 }),
};

// Per-step host inputs: a warmup-like lr, and an unscale as with 2 accumulation steps and a
// loss scale that halves at step 3; gradients drawn per step (raw = true grad / unscale).
const STEPS = 5;
const lrAt = (t: number) => 1e-3 * (t / STEPS);
const unscaleAt = (t: number) => 1 / (2 * (t < 3 ? 1024 : 512));
function gradsAt(t: number, n: number): Float32Array {
  const g = randn(n, rng(100 + t), 0.04 + 0.005 * t); // true norms from about 12 to 18
  const u = unscaleAt(t);
  return g.map((x) => x / u);
}

const bits = (t: Tensor) => Array.from(new Uint32Array(t.toFloat32Array().buffer));
const snapshot = (opt: Optimizer) => [bits(opt.params.data), ...[...opt.state().values()].map(bits)];

describe("optimizers over flat params with device step scalars", () => {
  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: a recorded prepareGrads + update replays bitwise like eager steps, lr/t/unscale changing, no allocation`, () => {
      const eager = make(flatParams(1));
      const eagerOut = [];
      for (let t = 1; t <= STEPS; t++) {
        eager.params.grads.write(gradsAt(t, eager.params.numel));
        eagerOut.push(eager.step({ lr: lrAt(t), unscale: unscaleAt(t) }));
      }
      const want = snapshot(eager);

      const planned = make(flatParams(1));
      const n = planned.params.numel;
      const hostInputs = (t: number) => {
        planned.params.grads.write(gradsAt(t, n));
        planned.scalars.set({ lr: lrAt(t), step: t, unscale: unscaleAt(t) });
      };
      hostInputs(1);
      const { plan } = Plan.record(() => {
        planned.prepareGrads();
        planned.update();
      });
      const outs = [planned.scalars.read()];
      expect(plan.stats.launches).toBeGreaterThanOrEqual(2);
      const before = allocStats();
      for (let t = 2; t <= STEPS; t++) {
        hostInputs(t);
        plan.run();
        outs.push(planned.scalars.read());
      }
      const after = allocStats();
      expect(after.calls).toBe(before.calls);
      expect(after.liveBytes).toBe(before.liveBytes);
      expect(outs).toEqual(eagerOut);
      expect(snapshot(planned)).toEqual(want);
      // Clipping was active on some steps and not on others (max_norm 15).
      expect(outs.some((o) => o.gradScale < o.unscale)).toBe(true);
      expect(outs.some((o) => o.gradScale === o.unscale)).toBe(true);
      // The parameters moved: a replay that ignored the new lr/t would not land on the eager bits.
      const initial = flatParams(1);
      expect(bits(planned.params.data)).not.toEqual(bits(initial.data));
      initial.dispose();
      plan.dispose();
      for (const o of [eager, planned]) {
        o.dispose();
        o.params.dispose();
      }
    });
  }

  it("gradNorm and gradScale match a float64 norm of the unscaled gradient and torch's clip coefficient", () => {
    for (const maxGradNorm of [0, 0.5, 1e6]) {
      const opt = new AdamW(flatParams(2), { lr: 1e-3, maxGradNorm });
      const raw = gradsAt(1, opt.params.numel);
      opt.params.grads.write(raw);
      const unscale = unscaleAt(1);
      const out = opt.step({ unscale });
      let ss = 0;
      for (const x of raw) ss += (x * unscale) ** 2;
      const norm = Math.sqrt(ss);
      const coef = maxGradNorm > 0 ? Math.min(1, maxGradNorm / (norm + 1e-6)) : 1;
      expect(Math.abs(out.gradNorm - norm) / norm).toBeLessThan(1e-6);
      expect(Math.abs(out.gradScale - unscale * coef) / (unscale * coef)).toBeLessThan(2e-6);
      expect(out.foundInf).toBe(false);
      opt.dispose();
      opt.params.dispose();
    }
  });

  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: a NaN gradient skips the step (params and state bitwise unchanged, t not advanced)`, () => {
      const opt = make(flatParams(3));
      const n = opt.params.numel;
      opt.params.grads.write(gradsAt(1, n));
      opt.step({ unscale: unscaleAt(1) }); // non-zero state first
      const before = snapshot(opt);
      const bad = gradsAt(2, n);
      bad[n - 1] = Number.NaN;
      opt.params.grads.write(bad);
      const out = opt.step({ unscale: unscaleAt(2) });
      expect(out.foundInf).toBe(true);
      expect(Number.isNaN(out.gradNorm)).toBe(true);
      expect(snapshot(opt)).toEqual(before);
      // The next good step is step 2, exactly as if the bad one never happened.
      opt.params.grads.write(gradsAt(3, n));
      expect(opt.step({ unscale: unscaleAt(3) }).step).toBe(2);
      const ref = make(flatParams(3));
      ref.params.grads.write(gradsAt(1, n));
      ref.step({ unscale: unscaleAt(1) });
      ref.params.grads.write(gradsAt(3, n));
      ref.step({ unscale: unscaleAt(3) });
      expect(snapshot(opt)).toEqual(snapshot(ref));
      for (const o of [opt, ref]) {
        o.dispose();
        o.params.dispose();
      }
    });
  }

  it("names its state buffers as torch does, sized like the parameters", () => {
    const p = flatParams(4);
    const opts = [
      new AdamW(p, { lr: 1 }),
      new Lion(p, { lr: 1 }),
      new SGD(p, { lr: 1, momentum: 0.9 }),
      new SGD(p, { lr: 1 }),
    ];
    expect(opts.map((o) => [...o.state().keys()])).toEqual([
      ["exp_avg", "exp_avg_sq"],
      ["exp_avg"],
      ["momentum_buffer"],
      [],
    ]);
    for (const o of opts) for (const t of o.state().values()) expect(t.numel).toBe(p.numel);
    for (const o of opts) o.dispose();
    p.dispose();
  });

  it("refuses an update before a step is set, and step values a kernel cannot use", () => {
    const p = flatParams(5);
    const opt = new AdamW(p, { lr: 1 });
    expect(() => opt.update()).toThrow(/AdamW\.update: step t must be >= 1/);
    expect(() => opt.scalars.set({ step: 0 })).toThrow(/step must be an integer in \[1, 16777216\]/);
    expect(() => opt.scalars.set({ step: 1.5 })).toThrow(/step must be an integer/);
    expect(() => opt.scalars.set({ lr: Number.NaN })).toThrow(/lr must be a finite number/);
    expect(() => opt.scalars.set({ unscale: 0 })).toThrow(/unscale must be > 0/);
    expect(() => new SGD(p, { lr: 1, nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    opt.dispose();
    p.dispose();
  });

  it("StepScalars.set writes only the IN slots; the kernels' OUT slots survive it", () => {
    const s = new StepScalars({ lr: 0.5 });
    s.tensor.write([0.5, 0, 1, 0, 7, 8, 1, 0]);
    s.set({ step: 3, unscale: 0.25, maxNorm: 2 });
    expect(s.read()).toEqual({
      lr: 0.5,
      step: 3,
      unscale: 0.25,
      maxNorm: 2,
      gradNorm: 7,
      gradScale: 8,
      foundInf: true,
    });
    s.dispose();
  });
});
