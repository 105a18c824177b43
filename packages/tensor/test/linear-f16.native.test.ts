// fp16 mixed precision (GPT-NeoX `precision: fp16`): a FlatParams working copy in f16 makes linear
// run its GEMMs on f16 operands (x and dy rounded on the fly, as torch autocast rounds GEMM inputs)
// with fp32 accumulation. Checked against a float64 reference built from the f16-rounded operands,
// for overflow (Inf, not a clamp: the loss scaler needs it) and for planned replay.
import { describe, expect, it } from "vitest";
import {
  AdamW,
  allocStats,
  backward,
  crossEntropy,
  FlatParams,
  f16ToFloat,
  floatToF16,
  gelu,
  linear,
  Plan,
  scope,
  Tensor,
} from "../src/index";
import { randn, rng } from "./helpers/gradcheck";

const f16 = (v: ArrayLike<number>) => Float64Array.from(v, (x) => f16ToFloat(floatToF16(x)));

/**
 * out[i, j] = Σ_k a(i, k)·b(k, j) in float64, with a(i, k) = A[i*K + k] (or A[k*M + i] when ta),
 * b(k, j) = B[k*N + j] (or B[j*K + k] when tb); also Σ|terms| per element, the scale of fp32 error.
 */
function ref(ta: boolean, tb: boolean, M: number, N: number, K: number, A: Float64Array, B: Float64Array) {
  const out = new Float64Array(M * N);
  const mag = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let m = 0;
      for (let k = 0; k < K; k++) {
        const t = (ta ? A[k * M + i]! : A[i * K + k]!) * (tb ? B[j * K + k]! : B[k * N + j]!);
        s += t;
        m += Math.abs(t);
      }
      out[i * N + j] = s;
      mag[i * N + j] = m;
    }
  }
  return { out, mag };
}

/** Worst |got - want| relative to the fp32 accumulation bound K·2^-24·Σ|terms|. */
function worstUlps(got: Float32Array, want: Float64Array, mag: Float64Array, K: number): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const bound = K * 2 ** -24 * mag[i]! + 1e-30;
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / bound);
  }
  return worst;
}

describe("linear with an f16 working copy", () => {
  it("forward and backward equal a float64 product of the f16-rounded operands (fp32 accumulation)", () => {
    const [N, K, M] = [7, 80, 24];
    const rand = rng(17);
    const params = new FlatParams(
      [
        { name: "w", shape: [M, K], decay: true },
        { name: "b", shape: [M], decay: false },
      ],
      { lowp: "f16" },
    );
    const wv = randn(M * K, rand, 0.3);
    const bv = randn(M, rand, 0.1);
    params.get("w").write(wv);
    params.get("b").write(bv);
    params.refreshLowp();
    expect(params.getLowp("w")!.dtype).toBe("f16");
    const xv = randn(N * K, rand, 3);
    const dyv = randn(N * M, rand, 2);
    const x = Tensor.fromArray(xv, [N, K]).requireGrad();
    const y = linear(x, params.get("w"), params.get("b"), { weightLowp: params.getLowp("w") });
    const yv = y.toFloat32Array();
    backward(y, Tensor.fromArray(dyv, [N, M]));

    const [xr, wr, dyr] = [f16(xv), f16(wv), f16(dyv)];
    const fwd = ref(false, true, N, M, K, xr, wr);
    for (let i = 0; i < N * M; i++) fwd.out[i]! += Math.fround(bv[i % M]!);
    // The bias add is one more fp32 rounding: count it as one more term.
    for (let i = 0; i < N * M; i++) fwd.mag[i]! += Math.abs(bv[i % M]!);
    expect(worstUlps(yv, fwd.out, fwd.mag, K + 1)).toBeLessThan(1);
    const dx = ref(false, false, N, K, M, dyr, wr);
    expect(worstUlps(x.grad!.toFloat32Array(), dx.out, dx.mag, M)).toBeLessThan(1);
    const dw = ref(true, false, M, K, N, dyr, xr);
    expect(worstUlps(params.get("w").grad!.toFloat32Array(), dw.out, dw.mag, N)).toBeLessThan(1);
    // db is Σ_rows dy in fp32 (no rounding to f16: it is not a GEMM).
    const db = params.get("b").grad!.toFloat32Array();
    for (let j = 0; j < M; j++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += dyv[i * M + j]!;
      expect(Math.abs(db[j]! - s)).toBeLessThan(1e-5 * N);
    }
    // And the f16 rounding really happened: the unrounded product is many fp32 bounds away.
    const exact = ref(false, true, N, M, K, Float64Array.from(xv), Float64Array.from(wv));
    for (let i = 0; i < N * M; i++) exact.out[i]! += bv[i % M]!;
    expect(worstUlps(yv, exact.out, exact.mag, K + 1)).toBeGreaterThan(10);
    x.dispose();
    y.dispose();
    params.dispose();
  });

  it("an activation or gradient past 65504 becomes Inf in the output or gradient, not a clamp", () => {
    const [N, K, M] = [3, 16, 5];
    const params = new FlatParams([{ name: "w", shape: [M, K], decay: true }], { lowp: "f16" });
    params.get("w").write(Float32Array.from({ length: M * K }, (_, i) => 0.25 + (i % 3) * 0.125)); // all > 0
    params.refreshLowp();
    const xv = new Float32Array(N * K).fill(1);
    xv[K + 4] = 70000; // row 1: rounds to +Inf in f16
    const x = Tensor.fromArray(xv, [N, K]).requireGrad();
    const y = linear(x, params.get("w"), null, { weightLowp: params.getLowp("w") });
    const yv = y.toFloat32Array();
    for (let j = 0; j < M; j++) {
      expect(yv[M + j]).toBe(Number.POSITIVE_INFINITY);
      expect(Number.isFinite(yv[j]!) && Number.isFinite(yv[2 * M + j]!)).toBe(true);
    }
    const dyv = new Float32Array(N * M).fill(1);
    dyv[2 * M + 1] = -1e5; // row 2 of dy: -Inf in f16
    backward(y, Tensor.fromArray(dyv, [N, M]));
    const dx = x.grad!.toFloat32Array();
    for (let k = 0; k < K; k++) expect(dx[2 * K + k]).toBe(Number.NEGATIVE_INFINITY);
    // The weight gradient sees both: Inf·(-Inf) terms and finite ones; no entry may be a finite clamp.
    const dw = params.get("w").grad!.toFloat32Array();
    expect(dw.some((v) => !Number.isFinite(v))).toBe(true);
    x.dispose();
    y.dispose();

    // A master weight past the f16 range gives Inf in the working copy.
    params.get("w").write(new Float32Array(M * K).fill(1e5));
    params.refreshLowp();
    expect([...params.getLowp("w")!.toFloat32Array()].every((v) => v === Number.POSITIVE_INFINITY)).toBe(
      true,
    );
    params.dispose();
  });

  it("keeps lowp: true meaning bf16 and refuses an unknown working dtype", () => {
    const t = new FlatParams([{ name: "w", shape: [2, 2], decay: true }], { lowp: true });
    expect(t.lowpDtype).toBe("bf16");
    expect(t.getLowp("w")!.dtype).toBe("bf16");
    t.dispose();
    expect(() => new FlatParams([], { lowp: "f8" as never })).toThrow(
      /lowp must be true, false, "bf16" or "f16", got "f8"/,
    );
  });
});

/** Two linear layers with GELU, cross-entropy and AdamW, weights read through an f16 working copy. */
function f16Toy() {
  const params = new FlatParams(
    [
      { name: "w1", shape: [32, 16], decay: true },
      { name: "b1", shape: [32], decay: false },
      { name: "w2", shape: [10, 32], decay: true },
    ],
    { lowp: "f16" },
  );
  const rand = rng(23);
  params.data.write(randn(params.numel, rand, 0.3));
  params.refreshLowp();
  const opt = new AdamW(params, { lr: 1e-2 });
  const x = Tensor.fromArray(randn(8 * 16, rand), [8, 16]);
  const targets = Tensor.fromArray(
    Array.from({ length: 8 }, (_, i) => (i * 3) % 10),
    [8],
    { dtype: "i32" },
  );
  const step = () =>
    scope(() => {
      params.zeroGrad();
      const h = gelu(linear(x, params.get("w1"), params.get("b1"), { weightLowp: params.getLowp("w1") }));
      const logits = linear(h, params.get("w2"), null, { weightLowp: params.getLowp("w2") });
      const loss = crossEntropy(logits, targets);
      backward(loss);
      opt.prepareGrads();
      opt.update();
      params.refreshLowp();
      return loss;
    });
  const dispose = () => {
    opt.dispose();
    params.dispose();
    x.dispose();
    targets.dispose();
  };
  return { opt, step, dispose };
}

describe("Plan with an f16 working copy", () => {
  it("replays a training step (refreshing the f16 copy) without allocating, bit-identical to eager", () => {
    const eager = f16Toy();
    const eagerLosses: number[] = [];
    for (let t = 1; t <= 6; t++) {
      eager.opt.scalars.set({ step: t });
      const loss = eager.step();
      eagerLosses.push(loss.item());
      loss.dispose();
    }
    eager.dispose();

    const planned = f16Toy();
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
    // Every GEMM ran in f16: two forwards, dW of both layers, dx of the second (x takes no grad).
    const byKernel = plan.profile();
    expect(byKernel.get("gemmF16")?.calls).toBe(5);
    expect(byKernel.has("sgemm")).toBe(false);
    loss.dispose();
    plan.dispose();
    planned.dispose();
  });
});
