// Planned execution: a recorded training step replays with zero native allocations (the
// process-wide counters of @neox/kernels do not move), gives the same numbers as eager execution,
// and shares arena memory between buffers whose lifetimes do not overlap.
import { describe, expect, it } from "vitest";
import {
  AdamW,
  add,
  alibiSlopes,
  allocStats,
  backward,
  causalSelfAttention,
  crossEntropy,
  dropout,
  embedding,
  FlatParams,
  fill,
  gelu,
  layerNorm,
  linear,
  Plan,
  rmsNorm,
  rotaryTables,
  Scalar,
  scope,
  swiglu,
  Tensor,
} from "../src/index";
import { randn, rng } from "./helpers/gradcheck";

/** A toy network: two linear layers with GELU, cross-entropy, AdamW over flat buffers. */
function toy() {
  const params = new FlatParams([
    { name: "w1", shape: [32, 16], decay: true },
    { name: "b1", shape: [32], decay: false },
    { name: "w2", shape: [10, 32], decay: true },
  ]);
  const rand = rng(11);
  params.data.write(randn(params.numel, rand, 0.3));
  const opt = new AdamW(params, { lr: 1e-2 });
  const x = Tensor.fromArray(randn(8 * 16, rand), [8, 16]);
  const y = Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8], [8], { dtype: "i32" });
  const step = () =>
    scope(() => {
      params.zeroGrad();
      const logits = linear(gelu(linear(x, params.get("w1"), params.get("b1"))), params.get("w2"));
      const loss = crossEntropy(logits, y);
      backward(loss);
      opt.prepareGrads();
      opt.update();
      return loss;
    });
  const dispose = () => {
    opt.dispose();
    params.dispose();
    x.dispose();
    y.dispose();
  };
  return { opt, step, dispose };
}

/**
 * A Llama-style block on the newer ops: RMS norms, bias-free linears, GQA attention (4 query heads
 * over 2 kv heads, blocked QKV) with partial rotary, ALiBi and a sliding window, SwiGLU, and
 * dropout whose seed is a Scalar bumped every step. B batch, T time, C channels, F MLP width.
 */
function gqaToy() {
  const [B, T, NH, NKV, HS, F, V] = [2, 6, 4, 2, 8, 24, 10];
  const C = NH * HS;
  const params = new FlatParams([
    { name: "norm1", shape: [C], decay: false },
    { name: "qkv", shape: [(NH + 2 * NKV) * HS, C], decay: true },
    { name: "dense", shape: [C, C], decay: true },
    { name: "norm2", shape: [C], decay: false },
    { name: "up_gate", shape: [2 * F, C], decay: true },
    { name: "down", shape: [C, F], decay: true },
    { name: "final_norm", shape: [C], decay: false },
    { name: "out", shape: [V, C], decay: true },
  ]);
  const rand = rng(21);
  params.data.write(randn(params.numel, rand, 0.2));
  for (const n of ["norm1", "norm2", "final_norm"]) params.get(n).write(new Float32Array(C).fill(1));
  const opt = new AdamW(params, { lr: 1e-2 });
  const tables = rotaryTables(T, 4);
  const slopes = alibiSlopes(NH);
  const seed = new Scalar(0, "dropout_seed");
  const x = Tensor.fromArray(randn(B * T * C, rand), [B * T, C]);
  const y = Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2], [B * T], { dtype: "i32" });
  const p = (name: string) => params.get(name);
  const step = () =>
    scope(() => {
      params.zeroGrad();
      const qkv = linear(rmsNorm(x, p("norm1"), 1e-6), p("qkv")); // (B·T, (NH + 2·NKV)·HS)
      const shape = { B, T, NH, NKV, HS, rotDim: 4, window: 3 };
      const attn = linear(causalSelfAttention(qkv, shape, { rotary: tables, alibi: slopes }), p("dense"));
      const h = add(x, dropout(attn, 0.1, { seed, offset: 0 })); // (B·T, C)
      const mlp = linear(swiglu(linear(rmsNorm(h, p("norm2"), 1e-6), p("up_gate"))), p("down"));
      const out = add(h, dropout(mlp, 0.1, { seed, offset: B * T * C }));
      const loss = crossEntropy(linear(rmsNorm(out, p("final_norm"), 1e-6), p("out")), y);
      backward(loss);
      opt.prepareGrads();
      opt.update();
      return loss;
    });
  const dispose = () => {
    opt.dispose();
    params.dispose();
    for (const t of [x, y, tables.cos, tables.sin, slopes]) t.dispose();
  };
  return { opt, seed, step, dispose };
}

/**
 * A GPT-NeoX-style decoder from tensor ops (2 layers, C 64, 4 heads, T 32, B 2, V 128): pre-LN
 * parallel residual, fused QKV, rotary on a quarter of each head, GELU MLP, untied head, AdamW; the
 * GEMMs read a bf16 working copy when precision is bf16 (AdamW.update refreshes it).
 */
function decoder(precision: "fp32" | "bf16") {
  const [L, C, NH, T, B, V] = [2, 64, 4, 32, 2, 128];
  const specs: { name: string; shape: number[]; decay: boolean }[] = [
    { name: "embed", shape: [V, C], decay: true },
  ];
  const lin = (name: string, out: number, inp: number) =>
    specs.push(
      { name: `${name}.w`, shape: [out, inp], decay: true },
      { name: `${name}.b`, shape: [out], decay: false },
    );
  const ln = (name: string) =>
    specs.push(
      { name: `${name}.w`, shape: [C], decay: false },
      { name: `${name}.b`, shape: [C], decay: false },
    );
  for (let l = 0; l < L; l++) {
    ln(`${l}.ln1`);
    lin(`${l}.qkv`, 3 * C, C);
    lin(`${l}.dense`, C, C);
    ln(`${l}.ln2`);
    lin(`${l}.up`, 4 * C, C);
    lin(`${l}.down`, C, 4 * C);
  }
  ln("lnf");
  specs.push({ name: "head", shape: [V, C], decay: true });
  const params = new FlatParams(specs, { lowp: precision === "bf16" });
  const rand = rng(3);
  params.data.write(randn(params.numel, rand, 0.05));
  params.refreshLowp();
  const opt = new AdamW(params, { lr: 1e-3, weightDecay: 0.1 });
  const rotDim = C / NH / 4;
  const tables = rotaryTables(T, rotDim);
  const shape = { B, T, NH, HS: C / NH, rotDim };
  const tokens = Tensor.fromArray(
    Array.from({ length: B * T }, (_, i) => (i * 7) % V),
    [B * T],
    { dtype: "i32" },
  );
  const targets = Tensor.fromArray(
    Array.from({ length: B * T }, (_, i) => (i * 7 + 1) % V),
    [B * T],
    { dtype: "i32" },
  );
  const p = (n: string) => params.get(n);
  const dense = (x: Tensor, n: string, bias = true) =>
    linear(x, p(bias ? `${n}.w` : n), bias ? p(`${n}.b`) : null, {
      weightLowp: params.getLowp(bias ? `${n}.w` : n),
    });
  const norm = (x: Tensor, n: string) => layerNorm(x, p(`${n}.w`), p(`${n}.b`), 1e-5);
  const step = () =>
    scope(() => {
      params.zeroGrad();
      let x = embedding(p("embed"), tokens);
      for (let l = 0; l < L; l++) {
        const attn = dense(
          causalSelfAttention(dense(norm(x, `${l}.ln1`), `${l}.qkv`), shape, { rotary: tables }),
          `${l}.dense`,
        );
        const mlp = dense(gelu(dense(norm(x, `${l}.ln2`), `${l}.up`)), `${l}.down`);
        x = add(add(x, attn), mlp);
      }
      const loss = crossEntropy(dense(norm(x, "lnf"), "head", false), targets);
      backward(loss);
      opt.prepareGrads();
      opt.update();
      return loss;
    });
  const dispose = () => {
    opt.dispose();
    params.dispose();
    tables.cos.dispose();
    tables.sin.dispose();
    tokens.dispose();
    targets.dispose();
  };
  return { opt, step, dispose };
}

describe("Plan", () => {
  it("replays a GQA block with RMS norm, SwiGLU, ALiBi and per-step dropout without allocating, as eager steps", () => {
    const eager = gqaToy();
    const eagerLosses: number[] = [];
    for (let t = 1; t <= 6; t++) {
      eager.opt.scalars.set({ step: t });
      eager.seed.value = 1000 + t;
      const loss = eager.step();
      eagerLosses.push(loss.item());
      loss.dispose();
    }
    eager.dispose();

    const planned = gqaToy();
    planned.opt.scalars.set({ step: 1 });
    planned.seed.value = 1001;
    const { plan, result } = Plan.record(planned.step);
    const losses = [result.item()];
    const loss = plan.tensor(result);
    result.dispose();
    // Step 2 replays through the diagnostics: no kernel allocates per call.
    planned.opt.scalars.set({ step: 2 });
    planned.seed.value = 1002;
    expect([...plan.allocationsByKernel().keys()]).toEqual([]);
    losses.push(loss.item());
    const before = allocStats();
    for (let t = 3; t <= 6; t++) {
      planned.opt.scalars.set({ step: t });
      planned.seed.value = 1000 + t; // a new dropout mask each step, forward and backward
      plan.run();
      losses.push(loss.item());
    }
    const after = allocStats();
    expect(after.calls).toBe(before.calls);
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(losses).toEqual(eagerLosses);
    expect(losses[5]!).toBeLessThan(losses[0]!);
    loss.dispose();
    plan.dispose();
    planned.dispose();
  });

  it("replays a toy training step without allocating, bit-identical to eager steps", () => {
    const eager = toy();
    const eagerLosses: number[] = [];
    for (let t = 1; t <= 6; t++) {
      eager.opt.scalars.set({ step: t });
      const loss = eager.step();
      eagerLosses.push(loss.item());
      loss.dispose();
    }
    eager.dispose();

    const planned = toy();
    planned.opt.scalars.set({ step: 1 });
    const { plan, result } = Plan.record(planned.step);
    const losses = [result.item()];
    const loss = plan.tensor(result);
    result.dispose();
    const before = allocStats();
    for (let t = 2; t <= 6; t++) {
      planned.opt.scalars.set({ step: t });
      plan.run();
      losses.push(loss.item());
    }
    const after = allocStats();
    expect(after.calls).toBe(before.calls);
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(losses).toEqual(eagerLosses);
    expect(losses[5]!).toBeLessThan(losses[0]!);
    expect(plan.stats.arenaBytes).toBeLessThan(plan.stats.unsharedBytes);
    loss.dispose();
    plan.dispose();
    planned.dispose();
  });

  for (const precision of ["fp32", "bf16"] as const) {
    it(`replays a GPT-NeoX-style decoder step (${precision} GEMMs) without allocating`, () => {
      const d = decoder(precision);
      d.opt.scalars.set({ step: 1 });
      const { plan, result } = Plan.record(d.step);
      const loss = plan.tensor(result);
      const start = result.item();
      result.dispose();
      d.opt.scalars.set({ step: 2 });
      // No kernel may allocate per call either (scratch comes from persistent workspaces).
      expect([...plan.allocationsByKernel().keys()]).toEqual([]);
      const before = allocStats();
      for (let t = 3; t <= 8; t++) {
        d.opt.scalars.set({ step: t });
        plan.run();
      }
      const after = allocStats();
      expect(after.calls).toBe(before.calls);
      expect(after.liveBytes).toBe(before.liveBytes);
      expect(loss.item()).toBeLessThan(start);
      loss.dispose();
      plan.dispose();
      d.dispose();
    });
  }

  it("frees its arena and releases the buffers it held on dispose", () => {
    const before = allocStats().liveBytes;
    const x = fill(Tensor.empty([256]), 2);
    const { plan, result } = Plan.record(() => scope(() => gelu(gelu(gelu(x)))));
    result.dispose();
    x.dispose();
    expect(allocStats().liveBytes).toBeGreaterThan(before); // the plan still holds x and its arena
    plan.dispose();
    expect(allocStats().liveBytes).toBe(before);
  });

  it("refuses host writes into buffers the step allocated, saying what to do", () => {
    expect(() =>
      Plan.record(() =>
        scope(() => {
          const t = Tensor.empty([4]);
          t.write([1, 2, 3, 4]);
          return gelu(t);
        }),
      ),
    ).toThrow(/cannot replay host writes\. Create constants and input buffers before recording/);
  });

  it("refuses to record inside a recording", () => {
    const x = fill(Tensor.empty([4]), 1);
    expect(() => Plan.record(() => Plan.record(() => gelu(x)))).toThrow(/plans do not nest/);
    x.dispose();
  });
});
