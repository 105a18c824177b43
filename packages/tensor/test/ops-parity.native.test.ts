// Tensor ops against the kernels' float64 references (@neox/kernels src/reference): the op's
// forward output and the gradients the tape produces, for RMS norm (fp32 and bf16 activations),
// ReLU, SiLU, gated units, dropout and attention in both QKV layouts (GQA/MQA, rotary, ALiBi, sliding
// window); the KV-cache path against full attention. To add a case: a line in the table of its
// describe block. Errors are max |got - want| / max |want| over each tensor.
import {
  referenceAlibi,
  referenceAttention,
  referenceDropout,
  referenceGlu,
  referenceRelu,
  referenceRmsNorm,
  referenceRotary,
  referenceSilu,
} from "@neox/kernels";
import { describe, expect, it } from "vitest";
import {
  type AttentionShape,
  alibiSlopes,
  backward,
  cachedSelfAttention,
  cast,
  causalSelfAttention,
  dropout,
  type GluActivation,
  glu,
  KvCache,
  noGrad,
  type QkvLayout,
  relu,
  rmsNorm,
  rotaryTables,
  Scalar,
  scope,
  silu,
  Tensor,
} from "../src/index";
import { randn, rng } from "./helpers/gradcheck";

const f64 = (t: Tensor | Float32Array) => Float64Array.from(t instanceof Tensor ? t.toFloat32Array() : t);

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    d = Math.max(d, Math.abs(got[i]! - want[i]!));
    m = Math.max(m, Math.abs(want[i]!));
  }
  return d / m;
}

/** Forward output and input gradient(s) of `fn` for upstream gradient `dy`. */
function run(
  fn: (...xs: Tensor[]) => Tensor,
  xs: Tensor[],
  dy: Float32Array,
): { y: Float32Array; dxs: Float32Array[] } {
  for (const x of xs) x.grad = null;
  const y = scope(() => {
    const out = fn(...xs);
    const values = out.toFloat32Array();
    backward(out, Tensor.fromArray(dy, out.shape));
    return values;
  });
  const dxs = xs.map((x) => x.grad!.toFloat32Array());
  for (const x of xs) x.grad?.dispose();
  return { y, dxs };
}

describe("rmsNorm vs referenceRmsNorm", () => {
  const cases = [
    { name: "fp32, weight", N: 6, C: 37, weight: true, dtype: "f32", tol: 1e-5 },
    { name: "fp32, no weight", N: 3, C: 64, weight: false, dtype: "f32", tol: 1e-5 },
    // bf16 activations: out and dx are rounded to bf16 once (8 mantissa bits); dweight is fp32.
    { name: "bf16 activations, weight", N: 5, C: 48, weight: true, dtype: "bf16", tol: 8e-3 },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      const rand = rng(c.C);
      // x as the op sees it (bf16-rounded for bf16), so the reference starts from the same values.
      const x0 = Tensor.fromArray(randn(c.N * c.C, rand), [c.N, c.C], { dtype: c.dtype });
      const x = f64(x0);
      const w = Tensor.fromArray(randn(c.C, rand, 0.5), [c.C]).requireGrad();
      const dy = Tensor.fromArray(randn(c.N * c.C, rand), [c.N, c.C], { dtype: c.dtype }).toFloat32Array();
      const leaf = Tensor.fromArray(x0.toFloat32Array(), [c.N, c.C]).requireGrad();
      const eps = 1e-6;
      const xs = c.weight ? [leaf, w] : [leaf];
      // The leaf is fp32; a cast makes the op see bf16 (and routes dx back in fp32).
      const op = (xl: Tensor, wl?: Tensor) => {
        const y = rmsNorm(c.dtype === "bf16" ? cast(xl, "bf16") : xl, wl ?? null, eps);
        return c.dtype === "bf16" ? cast(y, "f32") : y;
      };
      const got = run(op, xs, dy);
      const want = new Float64Array(c.N * c.C);
      const rstd = new Float64Array(c.N);
      const wf = c.weight ? f64(w) : null;
      referenceRmsNorm.rmsnormForward(want, rstd, x, wf, c.N, c.C, eps);
      const dx = new Float64Array(c.N * c.C);
      const dw = c.weight ? new Float64Array(c.C) : null;
      referenceRmsNorm.rmsnormBackward(dx, dw, f64(dy), x, wf, rstd, c.N, c.C);
      expect(relErr(got.y, want)).toBeLessThan(c.tol);
      expect(relErr(got.dxs[0]!, dx)).toBeLessThan(c.tol);
      if (dw) expect(relErr(got.dxs[1]!, dw)).toBeLessThan(1e-4);
      for (const t of [x0, w, leaf]) t.dispose();
    });
  }
});

describe("glu vs referenceGlu ([x ‖ gate] rows, act(gate)·x)", () => {
  const kinds: [GluActivation, 0 | 1 | 2 | 3][] = [
    ["swiglu", 0],
    ["geglu", 1],
    ["geglu_tanh", 2],
    ["reglu", 3],
  ];
  for (const [activation, code] of kinds) {
    it(activation, () => {
      const [N, C] = [7, 33];
      const rand = rng(code + 40);
      const xv = randn(N * 2 * C, rand, 1.5);
      const x = Tensor.fromArray(xv, [N, 2 * C]).requireGrad();
      const dy = randn(N * C, rand);
      const got = run((t) => glu(t, activation), [x], dy);
      const want = new Float64Array(N * C);
      referenceGlu.gluForward(want, f64(xv), N, C, code);
      const dx = new Float64Array(N * 2 * C);
      referenceGlu.gluBackward(dx, f64(dy), f64(xv), N, C, code);
      expect(relErr(got.y, want)).toBeLessThan(1e-5);
      expect(relErr(got.dxs[0]!, dx)).toBeLessThan(1e-5);
      x.dispose();
    });
  }
});

describe("relu and silu vs their references (forward and gradient)", () => {
  const cases = [
    { name: "relu", fn: relu, fwd: referenceRelu.reluForward, bwd: referenceRelu.reluBackward },
    { name: "silu", fn: silu, fwd: referenceSilu.siluForward, bwd: referenceSilu.siluBackward },
  ];
  for (const [i, c] of cases.entries()) {
    it(c.name, () => {
      const [N, C] = [5, 129];
      const rand = rng(i + 60);
      const xv = randn(N * C, rand, 2);
      const x = Tensor.fromArray(xv, [N, C]).requireGrad();
      const dy = randn(N * C, rand);
      const got = run((t) => c.fn(t), [x], dy);
      const want = new Float64Array(N * C);
      c.fwd(want, f64(xv), N * C);
      const dx = new Float64Array(N * C);
      c.bwd(dx, f64(dy), f64(xv), N * C);
      expect(relErr(got.y, want)).toBeLessThan(1e-5);
      expect(relErr(got.dxs[0]!, dx)).toBeLessThan(1e-5);
      x.dispose();
    });
  }
});

describe("dropout vs referenceDropout (counter-based mask)", () => {
  it("keeps exactly the reference's elements, scales by 1/(1-p), and regenerates the mask in backward", () => {
    const n = 4096;
    const p = 0.25;
    const rand = rng(9);
    const xv = randn(n, rand);
    const x = Tensor.fromArray(xv, [n]).requireGrad();
    const dy = randn(n, rand);
    const seed = new Scalar(2 ** 40 + 12345, "dropout_seed");
    const got = run((t) => dropout(t, p, { seed, offset: 1000 }), [x], dy);
    const want = new Float64Array(n);
    referenceDropout.dropoutForward(want, f64(xv), n, p, seed.value, 1000);
    const dx = new Float64Array(n);
    referenceDropout.dropoutBackward(dx, f64(dy), n, p, seed.value, 1000);
    for (let i = 0; i < n; i++) expect(got.y[i] === 0).toBe(want[i] === 0);
    expect(relErr(got.y, want)).toBeLessThan(1e-6);
    expect(relErr(got.dxs[0]!, dx)).toBeLessThan(1e-6);
    const dropped = want.filter((v) => v === 0).length / n;
    expect(Math.abs(dropped - p)).toBeLessThan(0.03);
    // Another offset or seed draws another mask; the same pair the same one.
    const masks = [
      { seed: seed.value, offset: 1000 },
      { seed: seed.value, offset: 1000 + n },
      { seed: seed.value + 1, offset: 1000 },
    ].map((rngArgs) =>
      noGrad(() =>
        scope(() =>
          dropout(x, p, rngArgs)
            .toFloat32Array()
            .map((v) => (v === 0 ? 0 : 1)),
        ),
      ),
    );
    expect(Array.from(masks[0]!)).toEqual(Array.from(got.y, (v) => (v === 0 ? 0 : 1)));
    expect(Array.from(masks[1]!)).not.toEqual(Array.from(masks[0]!));
    expect(Array.from(masks[2]!)).not.toEqual(Array.from(masks[0]!));
    x.dispose();
  });

  it("p = 0 is the identity and launches nothing", () => {
    const x = Tensor.fromArray([1, 2, 3], [3]);
    expect(dropout(x, 0, { seed: 1, offset: 0 })).toBe(x);
    x.dispose();
  });
});

// ---- attention -------------------------------------------------------------------------------

interface AttnCase {
  name: string;
  B: number;
  T: number;
  NH: number;
  NKV: number;
  HS: number;
  rotDim: number;
  layout: QkvLayout;
  window?: number;
  alibi?: boolean;
}

/** Element index of q/k/v (which 0/1/2) head h channel e inside one QKV row (neox-spec §1.1). */
function qkvIndex(c: AttnCase, which: 0 | 1 | 2, h: number, e: number): number {
  if (c.layout === "interleaved") return (h * 3 + which) * c.HS + e;
  const base = which === 0 ? 0 : which === 1 ? c.NH * c.HS : (c.NH + c.NKV) * c.HS;
  return base + h * c.HS + e;
}

/** Dense (B, T, H, HS) float64 q, k or v gathered from QKV rows, or scattered back (dq, dk, dv). */
function gather(c: AttnCase, rows: ArrayLike<number>, which: 0 | 1 | 2): Float64Array {
  const H = which === 0 ? c.NH : c.NKV;
  const width = (c.NH + 2 * c.NKV) * c.HS;
  const out = new Float64Array(c.B * c.T * H * c.HS);
  for (let r = 0; r < c.B * c.T; r++)
    for (let h = 0; h < H; h++)
      for (let e = 0; e < c.HS; e++)
        out[(r * H + h) * c.HS + e] = rows[r * width + qkvIndex(c, which, h, e)]!;
  return out;
}
function scatter(c: AttnCase, into: Float64Array, dense: Float64Array, which: 0 | 1 | 2): void {
  const H = which === 0 ? c.NH : c.NKV;
  const width = (c.NH + 2 * c.NKV) * c.HS;
  for (let r = 0; r < c.B * c.T; r++)
    for (let h = 0; h < H; h++)
      for (let e = 0; e < c.HS; e++)
        into[r * width + qkvIndex(c, which, h, e)] = dense[(r * H + h) * c.HS + e]!;
}

/** The float64 reference of causalSelfAttention: out and dqkv for upstream dout. */
function referenceOp(c: AttnCase, qkv: Float32Array, dout: Float32Array, slopes: Float64Array | null) {
  const nPos = c.T;
  const half = c.rotDim / 2;
  const cos = new Float64Array(nPos * half);
  const sin = new Float64Array(nPos * half);
  if (c.rotDim > 0) referenceRotary.rotaryTable(cos, sin, nPos, c.rotDim, 10000);
  const rot = (x: Float64Array, H: number, dir: "rotaryForward" | "rotaryBackward") => {
    if (c.rotDim === 0) return x;
    const y = new Float64Array(x.length);
    referenceRotary[dir](y, x, cos, sin, { B: c.B, T: c.T, NH: H, HS: c.HS, rotDim: c.rotDim, posOffset: 0 });
    return y;
  };
  const q = rot(gather(c, qkv, 0), c.NH, "rotaryForward");
  const k = rot(gather(c, qkv, 1), c.NKV, "rotaryForward");
  const v = gather(c, qkv, 2);
  const d = {
    B: c.B,
    Tq: c.T,
    Tk: c.T,
    NH: c.NH,
    NKV: c.NKV,
    HS: c.HS,
    window: c.window ?? -1,
    scale: 1 / Math.sqrt(c.HS),
  };
  const out = new Float64Array(c.B * c.T * c.NH * c.HS);
  const lse = new Float64Array(c.B * c.NH * c.T);
  referenceAttention.attentionForward(out, lse, q, k, v, slopes, d);
  const [dq, dk, dv] = [new Float64Array(q.length), new Float64Array(k.length), new Float64Array(v.length)];
  referenceAttention.attentionBackward(dq, dk, dv, f64(dout), q, k, v, out, lse, slopes, d);
  const dqkv = new Float64Array(qkv.length);
  scatter(c, dqkv, rot(dq, c.NH, "rotaryBackward"), 0);
  scatter(c, dqkv, rot(dk, c.NKV, "rotaryBackward"), 1);
  scatter(c, dqkv, dv, 2);
  return { out, dqkv };
}

const ATTN_CASES: AttnCase[] = [
  { name: "MHA interleaved, rotary 4/8", B: 2, T: 9, NH: 2, NKV: 2, HS: 8, rotDim: 4, layout: "interleaved" },
  { name: "MHA blocked, full rotary", B: 1, T: 7, NH: 3, NKV: 3, HS: 8, rotDim: 8, layout: "blocked" },
  { name: "GQA 4/2 blocked, rotary 4/16", B: 2, T: 11, NH: 4, NKV: 2, HS: 16, rotDim: 4, layout: "blocked" },
  {
    name: "MQA 4/1 blocked, ALiBi",
    B: 2,
    T: 10,
    NH: 4,
    NKV: 1,
    HS: 8,
    rotDim: 0,
    layout: "blocked",
    alibi: true,
  },
  {
    name: "GQA 6/3, sliding window 3, ALiBi (non-power-of-two heads), rotary",
    B: 1,
    T: 12,
    NH: 6,
    NKV: 3,
    HS: 8,
    rotDim: 4,
    layout: "blocked",
    window: 3,
    alibi: true,
  },
  {
    name: "MHA interleaved, window 0 (self only)",
    B: 1,
    T: 5,
    NH: 2,
    NKV: 2,
    HS: 4,
    rotDim: 0,
    layout: "interleaved",
    window: 0,
  },
];

const shapeOf = (c: AttnCase, T = c.T): AttentionShape => ({
  B: c.B,
  T,
  NH: c.NH,
  NKV: c.NKV,
  HS: c.HS,
  rotDim: c.rotDim,
  layout: c.layout,
  ...(c.window === undefined ? {} : { window: c.window }),
});

describe("causalSelfAttention vs referenceAttention + referenceRotary", () => {
  for (const c of ATTN_CASES) {
    it(c.name, () => {
      const width = (c.NH + 2 * c.NKV) * c.HS;
      const rand = rng(c.T * 31 + c.NH);
      const qv = randn(c.B * c.T * width, rand);
      const qkv = Tensor.fromArray(qv, [c.B * c.T, width]).requireGrad();
      const dout = randn(c.B * c.T * c.NH * c.HS, rand);
      const tables = c.rotDim > 0 ? rotaryTables(c.T, c.rotDim) : null;
      const slopes = c.alibi ? alibiSlopes(c.NH) : null;
      if (slopes) {
        const want = new Float64Array(c.NH);
        referenceAlibi.alibiSlopes(want, c.NH);
        expect(relErr(slopes.toFloat32Array(), want)).toBeLessThan(1e-7);
      }
      const got = run(
        (t) => causalSelfAttention(t, shapeOf(c), { rotary: tables, alibi: slopes }),
        [qkv],
        dout,
      );
      const want = referenceOp(c, qv, dout, slopes ? f64(slopes) : null);
      expect(relErr(got.y, want.out)).toBeLessThan(2e-5);
      expect(relErr(got.dxs[0]!, want.dqkv)).toBeLessThan(2e-5);
      for (const t of [qkv, tables?.cos, tables?.sin, slopes]) t?.dispose();
    });
  }
});

describe("cachedSelfAttention (position offset) vs full attention", () => {
  // Prefill `prefix` tokens, then decode the rest in chunks: every output row must equal the
  // full-sequence attention's row at the same position.
  const cases: { c: AttnCase; chunks: number[] }[] = [
    { c: ATTN_CASES[0]!, chunks: [4, 1, 1, 3] },
    { c: ATTN_CASES[2]!, chunks: [5, 1, 2, 1, 1, 1] },
    { c: ATTN_CASES[4]!, chunks: [1, 6, 1, 1, 1, 1, 1] },
  ];
  for (const { c, chunks } of cases) {
    it(`${c.name}: chunks ${chunks.join("+")}`, () => {
      const width = (c.NH + 2 * c.NKV) * c.HS;
      const C = c.NH * c.HS;
      const rand = rng(c.T);
      const qv = randn(c.B * c.T * width, rand);
      const tables = c.rotDim > 0 ? rotaryTables(c.T, c.rotDim) : null;
      const slopes = c.alibi ? alibiSlopes(c.NH) : null;
      const pos = { rotary: tables, alibi: slopes };
      const full = noGrad(() =>
        scope(() =>
          causalSelfAttention(Tensor.fromArray(qv, [c.B * c.T, width]), shapeOf(c), pos).toFloat32Array(),
        ),
      );
      const cache = new KvCache(c.T, c.B, c.NKV, c.HS);
      let at = 0;
      for (const T of chunks) {
        // The chunk's rows (B, T, width) out of the (B, c.T, width) sequence.
        const rows = new Float32Array(c.B * T * width);
        for (let b = 0; b < c.B; b++)
          rows.set(qv.subarray((b * c.T + at) * width, (b * c.T + at + T) * width), b * T * width);
        const out = noGrad(() =>
          scope(() =>
            cachedSelfAttention(
              Tensor.fromArray(rows, [c.B * T, width]),
              shapeOf(c, T),
              cache,
              pos,
            ).toFloat32Array(),
          ),
        );
        const want = new Float32Array(c.B * T * C);
        for (let b = 0; b < c.B; b++)
          want.set(full.subarray((b * c.T + at) * C, (b * c.T + at + T) * C), b * T * C);
        expect(relErr(out, want)).toBeLessThan(1e-5);
        at += T;
        expect(cache.length).toBe(at);
      }
      expect(() =>
        noGrad(() =>
          cachedSelfAttention(
            Tensor.fromArray(qv.subarray(0, c.B * width), [c.B, width]),
            shapeOf(c, 1),
            cache,
            pos,
          ),
        ),
      ).toThrow(/KV cache holds \d+ positions/);
      cache.dispose();
      for (const t of [tables?.cos, tables?.sin, slopes]) t?.dispose();
    });
  }

  it("refuses to record: a KV cache is inference state", () => {
    const qkv = Tensor.fromArray(new Float32Array(3 * 8), [1, 24]).requireGrad();
    const cache = new KvCache(4, 1, 1, 8);
    expect(() => cachedSelfAttention(qkv, { B: 1, T: 1, NH: 1, HS: 8, rotDim: 0 }, cache)).toThrow(/noGrad/);
    cache.dispose();
    qkv.dispose();
  });
});
