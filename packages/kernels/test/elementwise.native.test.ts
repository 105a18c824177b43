// Element-wise kernels against their float64 references under every ISA this CPU supports, plus
// dropout's determinism and keep rate. The cases are data in test/cases/elementwise.ts (its header
// says how to add one); this file holds one runner per op.
import { expect, it } from "vitest";
import { withIsa } from "../src/index";
import * as ops from "../src/ops/elementwise";
import * as refBias from "../src/reference/bias-add";
import * as refDropout from "../src/reference/dropout";
import * as refFill from "../src/reference/fill";
import * as refGelu from "../src/reference/gelu";
import * as refGlu from "../src/reference/glu";
import * as refReduce from "../src/reference/reduce";
import * as refRelu from "../src/reference/relu";
import * as refSilu from "../src/reference/silu";
import { type ElementwiseCase, elementwiseCases } from "./cases/elementwise";
import { type BufferScope, f32, read, withBuffers } from "./helpers/buffers";
import { describeNative, expectClose, isas, Rng } from "./helpers/native";
import { parityTable, threadTable } from "./helpers/table";

type Runner = (c: ElementwiseCase, rng: Rng, s: BufferScope) => void;

const check = (c: ElementwiseCase, actual: ArrayLike<number>, expected: ArrayLike<number>, what = "out") =>
  expectClose(actual, expected, c.tol ?? { atol: 1e-5, rtol: 1e-5 }, `${c.op} ${c.name} ${what}`);

/** Values for cast tests: random normals plus zeros, infinities, NaN and bf16 rounding ties. */
function castInputs(n: number, rng: Rng): Float64Array {
  const x = rng.normalArray(n, 10);
  const special = [0, -0, Infinity, -Infinity, Number.NaN, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 65504.5, 1e-40];
  for (let i = 0; i < Math.min(n, special.length); i++) x[i] = special[i]!;
  return x;
}

const runners: Record<string, Runner> = {
  fillF32: (c, _rng, s) => {
    const out = s.empty(c.n!);
    ops.fillF32(out.address, 0.7, c.n!);
    const want = new Float64Array(c.n!);
    refFill.fillF32(want, Math.fround(0.7), c.n!);
    check(c, read(out), want);
  },
  scaleF32: (c, rng, s) => {
    const x = f32(rng.normalArray(c.n!));
    const inp = s.f32(x);
    ops.scaleF32(inp.address, inp.address, c.alpha!, c.n!); // in place
    const want = new Float64Array(c.n!);
    refFill.scaleF32(want, x, Math.fround(c.alpha!), c.n!);
    check(c, read(inp), want);
  },
  axpyF32: (c, rng, s) => {
    const a = f32(rng.normalArray(c.n!));
    const b = f32(rng.normalArray(c.n!));
    const [na, nb, out] = [s.f32(a), s.f32(b), s.empty(c.n!)];
    ops.axpyF32(out.address, na.address, nb.address, c.alpha!, c.n!);
    const want = new Float64Array(c.n!);
    refFill.axpyF32(want, a, b, c.alpha!, c.n!);
    check(c, read(out), want);
  },
  copyF32: (c, rng, s) => {
    const x = f32(rng.normalArray(c.n!));
    const out = s.empty(c.n!);
    ops.copyF32(out.address, s.f32(x).address, c.n!);
    check(c, read(out), x);
  },
  copyStridedF32: (c, rng, s) => {
    const [D0, D1, D2, D3] = c.dims!;
    const [s0, s1, s2, s3] = c.strides!;
    const x = f32(rng.normalArray(c.inputSize!));
    const total = D0 * D1 * D2 * D3;
    const out = s.empty(total);
    ops.copyStridedF32(out.address, s.f32(x).address, D0, D1, D2, D3, s0, s1, s2, s3);
    const want = new Float64Array(total);
    refFill.copyStridedF32(want, x, D0, D1, D2, D3, s0, s1, s2, s3);
    check(c, read(out), want);
  },
  castF32ToBf16: (c, rng, s) => {
    const x = castInputs(c.n!, rng);
    const out = s.empty(c.n!, "bf16");
    ops.castF32ToBf16(out.address, s.f32(x).address, c.n!);
    const want = new Uint16Array(c.n!);
    refFill.castF32ToBf16(want, x, c.n!);
    check(c, out.u16(), want, "bits");
  },
  castBf16ToF32: (c, rng, s) => {
    const x = castInputs(c.n!, rng);
    const inp = s.bf16(x);
    const out = s.empty(c.n!);
    ops.castBf16ToF32(out.address, inp.address, c.n!);
    const want = new Float64Array(c.n!);
    refFill.castBf16ToF32(want, inp.u16(), c.n!);
    check(c, read(out), want);
  },
  sumRowsF32: (c, rng, s) => reduceCase(c, rng, s, "rows"),
  sumColsF32: (c, rng, s) => reduceCase(c, rng, s, "cols"),
  biasAddForward: (c, rng, s) => {
    const { N, C } = c as Required<ElementwiseCase>;
    const x = f32(rng.normalArray(N * C));
    const b = f32(rng.normalArray(C));
    const out = s.empty(N * C);
    ops.biasAddForward(out.address, s.f32(x).address, s.f32(b).address, N, C);
    const want = new Float64Array(N * C);
    refBias.biasAddForward(want, x, b, N, C);
    check(c, read(out), want);
  },
  biasAddBackward: (c, rng, s) => {
    const { N, C } = c as Required<ElementwiseCase>;
    const dout = f32(rng.normalArray(N * C));
    const db0 = f32(rng.normalArray(C)); // the gradient accumulates onto what is there
    const db = s.f32(db0);
    ops.biasAddBackward(db.address, s.f32(dout).address, N, C);
    const want = Float64Array.from(db0);
    refBias.biasAddBackward(want, dout, N, C);
    check(c, read(db), want, "dbias");
  },
  residualForward: (c, rng, s) => {
    const a = f32(rng.normalArray(c.n!));
    const b = f32(rng.normalArray(c.n!));
    const shift = c.shift ?? 0;
    const out = s.empty(c.n! + shift);
    ops.residualForward(out.address + 4 * shift, s.f32(a).address, s.f32(b).address, c.n!);
    const want = new Float64Array(c.n!);
    refBias.residualForward(want, a, b, c.n!);
    check(c, read(out).subarray(shift), want);
  },
  residualBackward: (c, rng, s) => {
    const dout = f32(rng.normalArray(c.n!));
    const [da, db] = [s.empty(c.n!), s.empty(c.n!)];
    ops.residualBackward(da.address, db.address, s.f32(dout).address, c.n!);
    const [wa, wb] = [new Float64Array(c.n!), new Float64Array(c.n!)];
    refBias.residualBackward(wa, wb, dout, c.n!);
    check(c, read(da), wa, "da");
    check(c, read(db), wb, "db");
  },
  geluForward: (c, rng, s) => {
    const x = f32(rng.normalArray(c.n!, 3));
    const out = s.empty(c.n!);
    ops.geluForward(out.address, s.f32(x).address, c.n!, c.tanh!);
    const want = new Float64Array(c.n!);
    refGelu.geluForward(want, x, c.n!, c.tanh!);
    check(c, read(out), want);
  },
  geluBackward: (c, rng, s) => {
    const x = f32(rng.normalArray(c.n!, 3));
    const dout = f32(rng.normalArray(c.n!));
    const d = s.f32(dout);
    ops.geluBackward(d.address, d.address, s.f32(x).address, c.n!, c.tanh!); // in place over dout
    const want = new Float64Array(c.n!);
    refGelu.geluBackward(want, dout, x, c.n!, c.tanh!);
    check(c, read(d), want, "dinp");
  },
  // ReLU and SiLU: inputs of scale 3; ReLU's backward runs in place over dout, as GELU's.
  reluForward: (c, rng, s) => {
    const x = f32(rng.normalArray(c.n!, 3));
    const out = s.empty(c.n!);
    ops.reluForward(out.address, s.f32(x).address, c.n!);
    const want = new Float64Array(c.n!);
    refRelu.reluForward(want, x, c.n!);
    check(c, read(out), want);
  },
  reluBackward: (c, rng, s) => {
    const x = f32(rng.normalArray(c.n!, 3));
    const dout = f32(rng.normalArray(c.n!));
    const d = s.f32(dout);
    ops.reluBackward(d.address, d.address, s.f32(x).address, c.n!);
    const want = new Float64Array(c.n!);
    refRelu.reluBackward(want, dout, x, c.n!);
    check(c, read(d), want, "dinp");
  },
  siluForward: (c, rng, s) => {
    const x = f32(rng.normalArray(c.n!, 3));
    const out = s.empty(c.n!);
    ops.siluForward(out.address, s.f32(x).address, c.n!);
    const want = new Float64Array(c.n!);
    refSilu.siluForward(want, x, c.n!);
    check(c, read(out), want);
  },
  siluBackward: (c, rng, s) => {
    const x = f32(rng.normalArray(c.n!, 3));
    const dout = f32(rng.normalArray(c.n!));
    const dinp = s.empty(c.n!);
    ops.siluBackward(dinp.address, s.f32(dout).address, s.f32(x).address, c.n!);
    const want = new Float64Array(c.n!);
    refSilu.siluBackward(want, dout, x, c.n!);
    check(c, read(dinp), want, "dinp");
  },
  gluForward: (c, rng, s) => {
    const { N, C, kind } = c as Required<ElementwiseCase>;
    const x = f32(rng.normalArray(N * 2 * C, 3));
    const out = s.empty(N * C);
    ops.gluForward(out.address, s.f32(x).address, N, C, kind);
    const want = new Float64Array(N * C);
    refGlu.gluForward(want, x, N, C, kind);
    check(c, read(out), want);
  },
  gluBackward: (c, rng, s) => {
    const { N, C, kind } = c as Required<ElementwiseCase>;
    const x = f32(rng.normalArray(N * 2 * C, 3));
    const dout = f32(rng.normalArray(N * C));
    const dinp = s.empty(N * 2 * C);
    ops.gluBackward(dinp.address, s.f32(dout).address, s.f32(x).address, N, C, kind);
    const want = new Float64Array(N * 2 * C);
    refGlu.gluBackward(want, dout, x, N, C, kind);
    check(c, read(dinp), want, "dinp");
  },
  dropoutForward: (c, rng, s) => {
    const x = f32(rng.normalArray(c.n!));
    const out = s.empty(c.n!);
    ops.dropoutForward(out.address, s.f32(x).address, c.n!, c.p!, c.seed!, c.offset!);
    const want = new Float64Array(c.n!);
    refDropout.dropoutForward(want, x, c.n!, c.p!, c.seed!, c.offset!);
    check(c, read(out), want);
  },
  dropoutBackward: (c, rng, s) => {
    const dout = f32(rng.normalArray(c.n!));
    const dinp = s.empty(c.n!);
    ops.dropoutBackward(dinp.address, s.f32(dout).address, c.n!, c.p!, c.seed!, c.offset!);
    const want = new Float64Array(c.n!);
    refDropout.dropoutBackward(want, dout, c.n!, c.p!, c.seed!, c.offset!);
    check(c, read(dinp), want, "dinp");
  },
};

function reduceCase(c: ElementwiseCase, rng: Rng, s: BufferScope, over: "rows" | "cols"): void {
  const { N, C, alpha, accumulate } = c as Required<ElementwiseCase>;
  const ld = c.ld ?? C;
  const x = f32(rng.normalArray(N * ld));
  const outLen = over === "rows" ? C : N;
  const out0 = f32(rng.normalArray(outLen));
  const out = s.f32(out0);
  const fn = over === "rows" ? ops.sumRowsF32 : ops.sumColsF32;
  fn(out.address, s.f32(x).address, N, C, ld, alpha, accumulate);
  const want = Float64Array.from(out0);
  (over === "rows" ? refReduce.sumRowsF32 : refReduce.sumColsF32)(
    want,
    x,
    N,
    C,
    ld,
    Math.fround(alpha),
    accumulate,
  );
  check(c, read(out), want);
}

describeNative("element-wise kernels match the float64 reference", () => {
  parityTable(elementwiseCases, runners, 1000);
});

describeNative("element-wise kernels with 1 and 3 threads (ranges split differently)", () => {
  const big = elementwiseCases.filter((c) => (c.n ?? 0) >= 40_001 || (c.N ?? 0) >= 1001);
  threadTable(big, runners, 7000);
});

describeNative("dropout mask", () => {
  const n = 1 << 20;
  function mask(p: number, seed: number, offset: number, count = n): Uint8Array {
    return withBuffers((s) => {
      const ones = s.f32(new Float64Array(count).fill(1));
      const out = s.empty(count);
      ops.dropoutForward(out.address, ones.address, count, p, seed, offset);
      return Uint8Array.from(read(out), (v) => (v !== 0 ? 1 : 0));
    });
  }

  it("keeps 1 - p of the elements (within 5 sigma over 2^20 draws)", () => {
    for (const p of [0.1, 0.5, 0.9]) {
      const kept = mask(p, 42, 0).reduce((a, b) => a + b, 0) / n;
      const sigma = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(kept - (1 - p)), `p=${p} kept ${kept}`).toBeLessThan(5 * sigma);
    }
  });

  it("is the same for the same (seed, offset) on every ISA, and splits by offset", () => {
    const whole = mask(0.3, 7, 100);
    for (const isa of isas()) withIsa(isa, () => expect(mask(0.3, 7, 100)).toEqual(whole));
    // Two calls covering halves with offsets 100 and 100 + n/2 draw the same mask as one call.
    const first = mask(0.3, 7, 100, n / 2);
    const second = mask(0.3, 7, 100 + n / 2, n / 2);
    expect(first).toEqual(whole.subarray(0, n / 2));
    expect(second).toEqual(whole.subarray(n / 2));
  });

  it("changes with the seed and the offset, with neighbouring elements uncorrelated", () => {
    const a = mask(0.5, 1, 0);
    const b = mask(0.5, 2, 0);
    const c = mask(0.5, 1, 1);
    const agree = (x: Uint8Array, y: Uint8Array) =>
      x.reduce((acc, v, i) => acc + (v === y[i] ? 1 : 0), 0) / n;
    // Independent masks agree on half the elements; 5 sigma = 5·0.5/sqrt(n) ≈ 0.0025.
    expect(Math.abs(agree(a, b) - 0.5)).toBeLessThan(0.0025);
    expect(Math.abs(agree(a, c) - 0.5)).toBeLessThan(0.0025);
  });
});

describeNative("ISA dispatch", () => {
  it("each supported ISA runs its own code (exact GELU bits differ between every pair of paths)", () => {
    // The paths compute the same function with different instructions (libm, a division, a
    // Newton-refined reciprocal), so identical bits on every input would mean one copy ran twice.
    const x = new Rng(99).normalArray(4096, 3);
    const bits = new Map<string, string>();
    for (const isa of isas()) {
      withIsa(isa, () =>
        withBuffers((s) => {
          const out = s.empty(x.length);
          ops.geluForward(out.address, s.f32(x).address, x.length, false);
          bits.set(isa, Buffer.from(out.f32().buffer, 0, x.length * 4).toString("base64"));
        }),
      );
    }
    const seen = [...bits.values()];
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describeNative("NaN propagates through the transcendental kernels", () => {
  it("GELU, ReLU, SiLU, their gradients and the gated units give NaN for a NaN input on every ISA", () => {
    for (const isa of isas()) {
      withIsa(isa, () =>
        withBuffers((s) => {
          const x = s.f32([0.5, Number.NaN, -3, 2]);
          const out = s.empty(4);
          for (const tanh of [false, true]) {
            ops.geluForward(out.address, x.address, 4, tanh);
            expect(Number.isNaN(read(out)[1]!), `${isa} gelu tanh=${tanh}`).toBe(true);
            ops.geluBackward(out.address, s.f32([1, 1, 1, 1]).address, x.address, 4, tanh);
            expect(Number.isNaN(read(out)[1]!), `${isa} gelu' tanh=${tanh}`).toBe(true);
          }
          // Row [x ‖ gate] = [0.5, NaN ‖ -3, 2]: the NaN is an x for column 1; gate NaN below.
          for (const kind of [0, 1, 2, 3] as const) {
            ops.gluForward(out.address, s.f32([1, 1, Number.NaN, 2]).address, 1, 2, kind);
            expect(Number.isNaN(read(out, 2)[0]!), `${isa} glu kind ${kind}`).toBe(true);
          }
          ops.reluForward(out.address, x.address, 4);
          expect(Number.isNaN(read(out)[1]!), `${isa} relu`).toBe(true);
          ops.siluForward(out.address, x.address, 4);
          expect(Number.isNaN(read(out)[1]!), `${isa} silu`).toBe(true);
          // ReLU's derivative at exactly 0 (and -0) is 0, torch's threshold_backward convention.
          ops.reluBackward(
            out.address,
            s.f32([1, 1, 1, 1]).address,
            s.f32([0, -0, 1e-30, -1e-30]).address,
            4,
          );
          expect([...read(out, 4)], `${isa} relu' at 0`).toEqual([0, 0, 1, 0]);
          ops.gluBackward(out.address, s.f32([1]).address, s.f32([2, 0]).address, 1, 1, 3);
          expect([...read(out, 2)], `${isa} reglu at gate 0`).toEqual([0, 0]);
        }),
      );
    }
  });
});

describeNative("element-wise argument errors", () => {
  it("names the op and the argument", () => {
    expect(() => ops.dropoutForward(8, 8, 1, 1.5, 0, 0)).toThrow(
      /dropoutForward: argument 3 \(p\) must be in \[0, 1\]/,
    );
    expect(() => ops.gluForward(0, 8, 1, 1, 0)).toThrow(/gluForward: argument 0 \(out\) is the null address/);
    expect(() => ops.gluForward(8, 8, 1, 1, 7 as 0)).toThrow(/kind/);
    expect(() => ops.sumRowsF32(8, 8, 2, 4, 3, 1, false)).toThrow(/ld\) must be >= C = 4/);
  });
});
