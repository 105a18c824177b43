// Multi-tensor AdamW, Lion, SGD, the planned step's prepareGrads, global L2 norm, clipping and
// scaling against the float64 references under every ISA; skipped steps (found_inf) leave every
// buffer bitwise unchanged; results do not depend on the thread count; AdamW and the clipping
// coefficient land on PyTorch's golden numbers. Cases: test/cases/optimizer.ts.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { type NativeBuffer, numThreads, setNumThreads } from "../src/index";
import * as ops from "../src/ops/optimizer";
import { STEP_SLOT_COUNT, STEP_SLOTS } from "../src/ops/optimizer";
import * as refAdam from "../src/reference/adamw";
import * as refNorm from "../src/reference/global-norm";
import * as refLion from "../src/reference/lion";
import * as refSgd from "../src/reference/sgd";
import { type OptimizerCase, optimizerCases } from "./cases/optimizer";
import { type BufferScope, f32, read, withBuffers } from "./helpers/buffers";
import { describeNative, expectClose, Rng } from "./helpers/native";
import { parityTable } from "./helpers/table";

const HYPER = { lr: 6e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8 };
// The kernels read lr from an fp32 slot: the reference gets the same rounded value.
const LR = Math.fround(HYPER.lr);

type Slots = Partial<Record<keyof typeof STEP_SLOTS, number>>;

/** A step-scalars buffer holding `slots` (others 0), as the host writes it before a step. */
function scalarsBuffer(s: BufferScope, slots: Slots): NativeBuffer {
  const data = new Float64Array(STEP_SLOT_COUNT);
  for (const [k, v] of Object.entries(slots)) data[STEP_SLOTS[k as keyof typeof STEP_SLOTS]] = v;
  return s.f32(data);
}

const slot = (buf: NativeBuffer, name: keyof typeof STEP_SLOTS): number => read(buf)[STEP_SLOTS[name]]!;

/** Bitwise equality of two fp32 contents, naming the first differing element. */
function expectSame(got: Float64Array, want: Float64Array, label: string): void {
  expect(got.length, label).toBe(want.length);
  const i = got.findIndex((x, j) => !Object.is(x, want[j]));
  expect(i < 0 ? "identical" : `[${i}]: ${got[i]} vs ${want[i]}`, label).toBe("identical");
}

interface StepFixture {
  refs: { param: Float64Array; grad: Float64Array; m: Float64Array; v: Float64Array; weightDecay: number }[];
  nat: { p: NativeBuffer; g: NativeBuffer; m: NativeBuffer; v: NativeBuffer }[];
}

// Random state for every optimizer: params ~ N(0,1), grads ~ N(0,0.1), a first moment, a
// non-negative second moment; weight decay alternates 0.1 / 0.
function stepFixture(c: OptimizerCase, rng: Rng, s: BufferScope): StepFixture {
  const refs = c.sizes.map((n, k) => ({
    param: f32(rng.normalArray(n)),
    grad: f32(rng.normalArray(n, 0.1)),
    m: f32(rng.normalArray(n, 0.01)),
    v: f32(rng.uniformArray(n, 0, 1e-3)),
    weightDecay: k % 2 === 0 ? 0.1 : 0,
  }));
  const nat = refs.map((t) => ({ p: s.f32(t.param), g: s.f32(t.grad), m: s.f32(t.m), v: s.f32(t.v) }));
  return { refs, nat };
}

const addrs = (bufs: NativeBuffer[]) => bufs.map((b) => b.address);

// Launches one optimizer op on the fixture's buffers (v doubles as SGD's momentum buffer).
function launch(c: OptimizerCase, f: StepFixture, scalars: NativeBuffer): void {
  const [p, g, m, v] = (["p", "g", "m", "v"] as const).map((key) => addrs(f.nat.map((t) => t[key])));
  const wds = f.refs.map((t) => t.weightDecay);
  if (c.op === "adamwStep")
    ops.adamwStep(p!, g!, m!, v!, c.sizes, wds, HYPER.beta1, HYPER.beta2, HYPER.eps, scalars.address);
  else if (c.op === "lionStep") ops.lionStep(p!, g!, m!, c.sizes, wds, 0.9, 0.99, scalars.address);
  else {
    const bufs = c.momentum ? m! : [];
    ops.sgdStep(
      p!,
      g!,
      bufs,
      c.sizes,
      wds,
      c.momentum!,
      c.dampening ?? 0,
      c.nesterov ?? false,
      scalars.address,
    );
  }
}

function runStep(c: OptimizerCase, rng: Rng, s: BufferScope): void {
  const f = stepFixture(c, rng, s);
  const scalars = scalarsBuffer(s, {
    lr: LR,
    step: c.step!,
    gradScale: c.gradScale!,
    foundInf: c.foundInf ? 1 : 0,
  });
  launch(c, f, scalars);
  f.refs.forEach((t, k) => {
    const label = `${c.op} ${c.name} tensor ${k}`;
    const n = f.nat[k]!;
    if (c.foundInf) {
      for (const [key, want] of [
        ["p", t.param],
        ["m", t.m],
        ["v", t.v],
      ] as const)
        expectSame(read(n[key]), want, `${label} ${key} untouched`);
      return;
    }
    if (c.op === "adamwStep") {
      refAdam.adamwStep([t], { ...HYPER, lr: LR, step: c.step!, gradScale: c.gradScale! });
      expectClose(read(n.v), t.v, { atol: 1e-9, rtol: 1e-5 }, `${label} v`);
    } else if (c.op === "lionStep") {
      refLion.lionStep([t], { lr: LR, beta1: 0.9, beta2: 0.99, gradScale: c.gradScale! });
    } else {
      const h = { lr: LR, momentum: c.momentum!, dampening: c.dampening ?? 0, nesterov: c.nesterov ?? false };
      refSgd.sgdStep([{ ...t, buf: t.m }], { ...h, gradScale: c.gradScale!, first: c.step === 1 });
    }
    expectClose(read(n.p), t.param, c.tol!, `${label} param`);
    expectClose(read(n.m), t.m, c.tol!, `${label} ${c.op === "sgdStep" ? "momentum buffer" : "m"}`);
  });
}

function runPrepare(c: OptimizerCase, rng: Rng, s: BufferScope): void {
  const ts = c.sizes.map((n) => f32(rng.normalArray(n)));
  const unscale = Math.fround(c.unscale!);
  const maxNorm = Math.fround(refNorm.globalL2Norm(ts) * unscale * c.maxNormFraction!);
  if (c.plant !== undefined) ts.at(-1)![ts.at(-1)!.length - 1] = Math.fround(c.plant);
  const nat = ts.map((t) => s.f32(t));
  const scalars = scalarsBuffer(s, { unscale, maxNorm, gradNorm: -1, gradScale: -1, foundInf: -1 });
  ops.prepareGrads(addrs(nat), c.sizes, scalars.address);
  const want = refNorm.prepareGrads(ts, unscale, maxNorm);
  const label = `${c.op} ${c.name}`;
  expect(slot(scalars, "foundInf"), `${label} found_inf`).toBe(want.foundInf ? 1 : 0);
  expectClose([slot(scalars, "gradNorm")], [want.gradNorm], { atol: 0, rtol: 1e-6 }, `${label} grad_norm`);
  if (!want.foundInf)
    expectClose([slot(scalars, "gradScale")], [want.gradScale], c.tol!, `${label} grad_scale`);
  // The IN slots and the gradients are read, never written.
  expect([slot(scalars, "unscale"), slot(scalars, "maxNorm")]).toEqual([unscale, maxNorm]);
  for (const [k, t] of ts.entries()) expectSame(read(nat[k]!), t, `${label} gradient ${k} untouched`);
}

const runners: Record<string, (c: OptimizerCase, rng: Rng, s: BufferScope) => void> = {
  adamwStep: runStep,
  lionStep: runStep,
  sgdStep: runStep,
  prepareGrads: runPrepare,
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

function withThreads<T>(n: number, fn: () => T): T {
  const before = numThreads();
  setNumThreads(n);
  try {
    return fn();
  } finally {
    setNumThreads(before);
  }
}

describeNative("optimizer kernels match the float64 reference", () => {
  parityTable(optimizerCases, runners, 5000);

  it("globalL2Norm does not depend on the thread count (fixed block order)", () => {
    withBuffers((s) => {
      const rng = new Rng(77);
      const sizes = [300_001, 5, 70_000];
      const addrs = sizes.map((n) => s.f32(rng.normalArray(n)).address);
      const one = withThreads(1, () => ops.globalL2Norm(addrs, sizes));
      expect(withThreads(2, () => ops.globalL2Norm(addrs, sizes))).toBe(one);
    });
  });

  // Several 64K-element blocks per tensor, so 1 and 2 threads split the work differently.
  const big: OptimizerCase[] = [
    { op: "adamwStep", name: "", sizes: [300_001, 5, 70_000], step: 2, gradScale: 0.7 },
    { op: "lionStep", name: "", sizes: [300_001, 5, 70_000], step: 2, gradScale: 0.7 },
    {
      op: "sgdStep",
      name: "",
      sizes: [300_001, 5, 70_000],
      step: 2,
      gradScale: 0.7,
      momentum: 0.9,
      nesterov: true,
    },
  ];
  for (const c of big) {
    it(`${c.op} gives bitwise the same result on 1 and 2 threads`, () => {
      const results = [1, 2].map((threads) =>
        withBuffers((s) => {
          const f = stepFixture(c, new Rng(91), s);
          const scalars = scalarsBuffer(s, { lr: LR, step: c.step!, gradScale: c.gradScale! });
          withThreads(threads, () => launch(c, f, scalars));
          return f.nat.flatMap((t) => [read(t.p).slice(), read(t.m).slice(), read(t.v).slice()]);
        }),
      );
      for (const [i, want] of results[0]!.entries()) expectSame(results[1]![i]!, want, `${c.op} buffer ${i}`);
    });
  }

  it("prepareGrads writes the same norm and coefficient on 1 and 2 threads", () => {
    withBuffers((s) => {
      const rng = new Rng(78);
      const sizes = [300_001, 5, 70_000];
      const grads = addrs(sizes.map((n) => s.f32(rng.normalArray(n))));
      const run = (threads: number) => {
        const scalars = scalarsBuffer(s, { unscale: 0.125, maxNorm: 1 });
        withThreads(threads, () => ops.prepareGrads(grads, sizes, scalars.address));
        return read(scalars).slice();
      };
      expectSame(run(2), run(1), "step scalars");
    });
  });

  const golden = JSON.parse(
    readFileSync(new URL("./fixtures/elementwise-golden.json", import.meta.url), "utf8"),
  );

  it("three native AdamW steps land on torch.optim.AdamW's golden numbers (fp32)", () => {
    const g = golden.adamw;
    withBuffers((s) => {
      const sizes: number[] = g.params0.map((p: number[]) => p.length);
      const [p, grad, m, v] = [g.params0, null, null, null].map((init) =>
        sizes.map((n, k) => s.f32(init ? init[k] : new Float64Array(n))),
      );
      g.grads.forEach((stepGrads: number[][], step: number) => {
        grad!.forEach((b, k) => {
          b.free();
          grad![k] = s.f32(stepGrads[k]!);
        });
        const next = scalarsBuffer(s, { lr: g.lr, step: step + 1, gradScale: 1 });
        ops.adamwStep(
          addrs(p!),
          addrs(grad!),
          addrs(m!),
          addrs(v!),
          sizes,
          g.weight_decays,
          g.beta1,
          g.beta2,
          g.eps,
          next.address,
        );
      });
      // fp32 storage and arithmetic against PyTorch's float64 run: a few fp32 roundings per step.
      for (let k = 0; k < sizes.length; k++) {
        expectClose(read(p![k]!), g.params[k], { atol: 1e-6, rtol: 1e-5 }, `param ${k}`);
        expectClose(read(m![k]!), g.m[k], { atol: 1e-7, rtol: 1e-5 }, `m ${k}`);
        expectClose(read(v![k]!), g.v[k], { atol: 1e-9, rtol: 1e-5 }, `v ${k}`);
      }
    });
  });

  it("prepareGrads' norm and grad_scale reproduce clip_grad_norm_'s golden numbers", () => {
    const g = golden.clip;
    withBuffers((s) => {
      const grads: NativeBuffer[] = g.grads.map((t: number[]) => s.f32(t));
      const scalars = scalarsBuffer(s, { unscale: 1, maxNorm: g.max_norm });
      ops.prepareGrads(
        addrs(grads),
        g.grads.map((t: number[]) => t.length),
        scalars.address,
      );
      expectClose([slot(scalars, "gradNorm")], [g.norm], { atol: 0, rtol: 1e-6 }, "norm");
      const scale = slot(scalars, "gradScale");
      grads.forEach((b, k) => {
        const clipped = read(b).map((x) => x * scale);
        expectClose(clipped, g.clipped[k], { atol: 1e-7, rtol: 1e-6 }, `clipped grad ${k}`);
      });
    });
  });

  it("rejects mismatched arrays, a null scalars buffer and missing momentum buffers, naming the argument", () => {
    expect(() => ops.globalL2Norm([8, 16], [1])).toThrow(
      /globalL2Norm: argument 1 \(sizes\) has 1 entries, expected 2/,
    );
    expect(() => ops.adamwStep([8], [8], [8], [8], [1], [0], 0.9, 0.999, 1e-8, 0)).toThrow(
      /adamwStep: argument 9 \(scalars\) is the null address/,
    );
    expect(() => ops.lionStep([8], [8], [8, 16], [1], [0], 0.9, 0.99, 8)).toThrow(
      /lionStep: argument 2 \(m\) has 2 entries, expected 1/,
    );
    expect(() => ops.sgdStep([8], [8], [], [1], [0], 0.9, 0, false, 8)).toThrow(
      /sgdStep: argument 2 \(momentumBuffers\) has 0 entries, expected 1/,
    );
    expect(() => ops.scaleTensors([0], [1], 2)).toThrow(/entry 0 must be a non-null address/);
  });
});
