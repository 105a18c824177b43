// Multi-tensor AdamW, global L2 norm, clipping and scaling against the float64 references under
// every ISA. Cases: test/cases/optimizer.ts (its header says how to add one).
import { expect, it } from "vitest";
import { numThreads, setNumThreads } from "../src/index";
import * as ops from "../src/ops/optimizer";
import * as refAdam from "../src/reference/adamw";
import * as refNorm from "../src/reference/global-norm";
import { type OptimizerCase, optimizerCases } from "./cases/optimizer";
import { type BufferScope, f32, read, withBuffers } from "./helpers/buffers";
import { describeNative, expectClose, Rng } from "./helpers/native";
import { parityTable } from "./helpers/table";

const HYPER = { lr: 6e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8 };

const runners: Record<string, (c: OptimizerCase, rng: Rng, s: BufferScope) => void> = {
  adamwStep: (c, rng, s) => {
    const tensors = c.sizes.map((n, k) => ({
      param: f32(rng.normalArray(n)),
      grad: f32(rng.normalArray(n, 0.1)),
      m: f32(rng.normalArray(n, 0.01)),
      v: f32(rng.uniformArray(n, 0, 1e-3)),
      weightDecay: k % 2 === 0 ? 0.1 : 0,
    }));
    const nat = tensors.map((t) => ({ p: s.f32(t.param), g: s.f32(t.grad), m: s.f32(t.m), v: s.f32(t.v) }));
    ops.adamwStep(
      nat.map((t) => t.p.address),
      nat.map((t) => t.g.address),
      nat.map((t) => t.m.address),
      nat.map((t) => t.v.address),
      c.sizes,
      tensors.map((t) => t.weightDecay),
      HYPER.lr,
      HYPER.beta1,
      HYPER.beta2,
      HYPER.eps,
      c.step!,
      c.gradScale!,
    );
    refAdam.adamwStep(tensors, { ...HYPER, step: c.step!, gradScale: c.gradScale! });
    tensors.forEach((t, k) => {
      const label = `${c.op} ${c.name} tensor ${k}`;
      expectClose(read(nat[k]!.p), t.param, c.tol!, `${label} param`);
      expectClose(read(nat[k]!.m), t.m, c.tol!, `${label} m`);
      expectClose(read(nat[k]!.v), t.v, { atol: 1e-9, rtol: 1e-5 }, `${label} v`);
    });
  },
  globalL2Norm: (c, rng, s) => {
    const ts = c.sizes.map((n) => f32(rng.normalArray(n)));
    const got = ops.globalL2Norm(
      ts.map((t) => s.f32(t).address),
      c.sizes,
    );
    expectClose([got], [refNorm.globalL2Norm(ts)], c.tol!, `${c.op} ${c.name}`);
  },
  clipGradNorm: (c, rng, s) => {
    const ts = c.sizes.map((n) => f32(rng.normalArray(n)));
    const maxNorm = refNorm.globalL2Norm(ts) * c.maxNormFraction!;
    const nat = ts.map((t) => s.f32(t));
    const got = ops.clipGradNorm(
      nat.map((b) => b.address),
      c.sizes,
      maxNorm,
    );
    const want = refNorm.clipGradNorm(ts, maxNorm);
    expectClose([got], [want], { atol: 0, rtol: 1e-6 }, `${c.op} ${c.name} norm`);
    for (const [k, t] of ts.entries()) expectClose(read(nat[k]!), t, c.tol!, `${c.op} ${c.name} tensor ${k}`);
  },
  scaleTensors: (c, rng, s) => {
    const ts = c.sizes.map((n) => f32(rng.normalArray(n)));
    const nat = ts.map((t) => s.f32(t));
    ops.scaleTensors(
      nat.map((b) => b.address),
      c.sizes,
      c.alpha!,
    );
    refNorm.scaleTensors(ts, c.alpha!);
    for (const [k, t] of ts.entries()) expectClose(read(nat[k]!), t, c.tol!, `${c.op} ${c.name} tensor ${k}`);
  },
};

describeNative("optimizer kernels match the float64 reference", () => {
  parityTable(optimizerCases, runners, 5000);

  it("globalL2Norm does not depend on the thread count (fixed block order)", () => {
    withBuffers((s) => {
      const rng = new Rng(77);
      const sizes = [300_001, 5, 70_000];
      const addrs = sizes.map((n) => s.f32(rng.normalArray(n)).address);
      const before = numThreads();
      try {
        setNumThreads(1);
        const one = ops.globalL2Norm(addrs, sizes);
        setNumThreads(2);
        expect(ops.globalL2Norm(addrs, sizes)).toBe(one);
      } finally {
        setNumThreads(before);
      }
    });
  });

  it("rejects mismatched arrays and step 0, naming the argument", () => {
    expect(() => ops.globalL2Norm([8, 16], [1])).toThrow(
      /globalL2Norm: argument 1 \(sizes\) has 1 entries, expected 2/,
    );
    expect(() => ops.adamwStep([8], [8], [8], [8], [1], [0], 1e-3, 0.9, 0.999, 1e-8, 0, 1)).toThrow(
      /adamwStep: argument 10 \(step\) must be >= 1/,
    );
    expect(() => ops.scaleTensors([0], [1], 2)).toThrow(/entry 0 must be a non-null address/);
  });
});
