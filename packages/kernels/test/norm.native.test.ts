// Layer norm and RMS norm (fp32 and bf16 activations) against their float64 references under every
// ISA. Cases: test/cases/norm.ts (its header says how to add one). Backward cases start the
// parameter gradients from random values, so the accumulation (+=) is checked too.
import { expect, it } from "vitest";
import * as ops from "../src/ops/norm";
import * as refLn from "../src/reference/layer-norm";
import * as refRms from "../src/reference/rms-norm";
import { type NormCase, normCases } from "./cases/norm";
import { type BufferScope, bf16, f32, read } from "./helpers/buffers";
import { describeNative, expectClose, type Rng } from "./helpers/native";
import { TOL } from "./helpers/parity";
import { parityTable, threadTable } from "./helpers/table";

type Runner = (c: NormCase, rng: Rng, s: BufferScope) => void;

const check = (
  c: NormCase,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  tol = c.tol,
) => expectClose(actual, expected, tol ?? TOL.f32, `${c.op} ${c.name} ${what}`);

/** Inputs with a non-zero mean and a spread, as activations have. */
function inputs(c: NormCase, rng: Rng, bf: boolean) {
  const { N, C } = c;
  const round = bf ? bf16 : f32;
  const x = round(rng.normalArray(N * C, 2).map((v, i) => v + ((i % 7) - 3) * 0.5));
  const dout = round(rng.normalArray(N * C));
  const w = c.affine ? f32(rng.normalArray(C, 0.5).map((v) => v + 1)) : null;
  const b = c.affine ? f32(rng.normalArray(C, 0.2)) : null;
  return { x, dout, w, b };
}

function layerNorm(c: NormCase, rng: Rng, s: BufferScope, bf: boolean, backward: boolean): void {
  const { N, C, eps } = c;
  const { x, dout, w, b } = inputs(c, rng, bf);
  const act = (d: Float64Array) => (bf ? s.bf16(d) : s.f32(d));
  const nx = act(x);
  const nw = w ? s.f32(w).address : 0;
  const nb = b ? s.f32(b).address : 0;
  const [out, mean, rstd] = [s.empty(N * C, bf ? "bf16" : "f32"), s.empty(N), s.empty(N)];
  (bf ? ops.layernormForwardBf16 : ops.layernormForward)(
    out.address,
    mean.address,
    rstd.address,
    nx.address,
    nw,
    nb,
    N,
    C,
    eps,
  );
  const [want, wm, wr] = [new Float64Array(N * C), new Float64Array(N), new Float64Array(N)];
  refLn.layernormForward(want, wm, wr, x, w, b, N, C, eps);
  if (!backward) {
    check(c, read(out), want, "out");
    check(c, read(mean), wm, "mean", TOL.f32);
    expectClose(read(rstd), wr, { atol: 0, rtol: 1e-5 }, `${c.op} ${c.name} rstd`);
    return;
  }
  const dw0 = f32(rng.normalArray(C));
  const db0 = f32(rng.normalArray(C));
  const [dinp, dw, db] = [s.empty(N * C, bf ? "bf16" : "f32"), s.f32(dw0), s.f32(db0)];
  (bf ? ops.layernormBackwardBf16 : ops.layernormBackward)(
    dinp.address,
    w ? dw.address : 0,
    b ? db.address : 0,
    act(dout).address,
    nx.address,
    nw,
    mean.address,
    rstd.address,
    N,
    C,
  );
  const [wdx, wdw, wdb] = [new Float64Array(N * C), Float64Array.from(dw0), Float64Array.from(db0)];
  refLn.layernormBackward(wdx, w ? wdw : null, b ? wdb : null, dout, x, w, wm, wr, N, C);
  check(c, read(dinp), wdx, "dinp");
  // Parameter gradients are fp32 sums over N rows in every variant.
  const ptol = { atol: 1e-4 * Math.sqrt(N), rtol: 1e-4 };
  check(c, read(dw), wdw, "dweight", ptol);
  check(c, read(db), wdb, "dbias", ptol);
}

function rmsNorm(c: NormCase, rng: Rng, s: BufferScope, bf: boolean, backward: boolean): void {
  const { N, C, eps } = c;
  const { x, dout, w } = inputs(c, rng, bf);
  const act = (d: Float64Array) => (bf ? s.bf16(d) : s.f32(d));
  const nx = act(x);
  const nw = w ? s.f32(w).address : 0;
  const [out, rstd] = [s.empty(N * C, bf ? "bf16" : "f32"), s.empty(N)];
  (bf ? ops.rmsnormForwardBf16 : ops.rmsnormForward)(out.address, rstd.address, nx.address, nw, N, C, eps);
  const [want, wr] = [new Float64Array(N * C), new Float64Array(N)];
  refRms.rmsnormForward(want, wr, x, w, N, C, eps);
  if (!backward) {
    check(c, read(out), want, "out");
    expectClose(read(rstd), wr, { atol: 0, rtol: 1e-5 }, `${c.op} ${c.name} rstd`);
    return;
  }
  const dw0 = f32(rng.normalArray(C));
  const [dinp, dw] = [s.empty(N * C, bf ? "bf16" : "f32"), s.f32(dw0)];
  (bf ? ops.rmsnormBackwardBf16 : ops.rmsnormBackward)(
    dinp.address,
    w ? dw.address : 0,
    act(dout).address,
    nx.address,
    nw,
    rstd.address,
    N,
    C,
  );
  const [wdx, wdw] = [new Float64Array(N * C), Float64Array.from(dw0)];
  refRms.rmsnormBackward(wdx, w ? wdw : null, dout, x, w, wr, N, C);
  check(c, read(dinp), wdx, "dinp");
  check(c, read(dw), wdw, "dweight", { atol: 1e-4 * Math.sqrt(N), rtol: 1e-4 });
}

const runners: Record<string, Runner> = {
  layernormForward: (c, rng, s) => layerNorm(c, rng, s, false, false),
  layernormBackward: (c, rng, s) => layerNorm(c, rng, s, false, true),
  layernormForwardBf16: (c, rng, s) => layerNorm(c, rng, s, true, false),
  layernormBackwardBf16: (c, rng, s) => layerNorm(c, rng, s, true, true),
  rmsnormForward: (c, rng, s) => rmsNorm(c, rng, s, false, false),
  rmsnormBackward: (c, rng, s) => rmsNorm(c, rng, s, false, true),
  rmsnormForwardBf16: (c, rng, s) => rmsNorm(c, rng, s, true, false),
  rmsnormBackwardBf16: (c, rng, s) => rmsNorm(c, rng, s, true, true),
};

describeNative("norm kernels match the float64 reference", () => {
  parityTable(normCases, runners, 2000);
});

describeNative("norm kernels with 1 and 3 threads (partial sums split differently)", () => {
  const big = normCases.filter((c) => c.N >= 1001);
  threadTable(big, runners, 8000);
});

describeNative("norm argument errors", () => {
  it("names the op and the argument", () => {
    expect(() => ops.layernormForward(0, 0, 0, 8, 0, 0, 1, 1, 1e-5)).toThrow(
      /layernormForward: argument 0 \(out\) is the null address/,
    );
    expect(() => ops.rmsnormForward(8, 0, 8, 0, 1, 1, -1)).toThrow(
      /rmsnormForward: argument 6 \(eps\) must be >= 0/,
    );
    expect(() => ops.layernormBackward(8, 0, 0, 8, 8, 0, 0, 8, 1, 1)).toThrow(/argument 6 \(mean\)/);
  });
});
