// The GPU op parity table: for every GPU op kernel, inputs and the kernel's arguments, run on two
// backends and compared (compareCase). Used by ops-parity.gpu.test.ts (vitest) and by
// tools/gpu/parity-runner.ts (plain Node on the GPU machine, which has no node_modules). Each case:
// buffers (host arrays), the kernel's arguments in native order (a buffer name, or { buf, at } for
// an element offset into one, a number, a flag, null for a null address, or a list of these), and
// the buffers to compare with their tolerance (max |gpu - cpu| / max |cpu|; 0 demands the same
// bits: casts, dropout masks, tables).
import type { Backend } from "../src/backend/backend";
import { floatToBf16, floatToF16, getBackend } from "../src/index";
import { randn, rng } from "./helpers/gradcheck";

export type HostArray = Float32Array | Int32Array | Uint16Array;
export type Ref = string | { buf: string; at: number };
export type Arg = Ref | number | boolean | null | readonly (Ref | number)[];
export interface Case {
  name: string;
  kernel: string;
  bufs: Record<string, HostArray>;
  args: Arg[];
  /** Buffers compared after the launch, with their tolerance. */
  compare: Record<string, number>;
}

// Runs one case on a backend; returns the compared buffers' contents.
export function runOn(backend: Backend, c: Case): Record<string, HostArray> {
  const address = new Map<string, number>();
  for (const [name, host] of Object.entries(c.bufs)) {
    const p = backend.allocate(Math.max(host.byteLength, 4));
    backend.write(p, host);
    address.set(name, p);
  }
  const resolve = (a: Ref | number): number => {
    if (typeof a === "number") return a;
    const name = typeof a === "string" ? a : a.buf;
    const base = address.get(name);
    if (base === undefined) throw new Error(`${c.name}: no buffer "${name}"`);
    return typeof a === "string" ? base : base + a.at * c.bufs[name]!.BYTES_PER_ELEMENT;
  };
  const args = c.args.map((a) =>
    a === null
      ? 0
      : typeof a === "boolean"
        ? a
        : Array.isArray(a)
          ? a.map(resolve)
          : resolve(a as Ref | number),
  );
  backend.kernel(c.kernel)(...args);
  backend.synchronize();
  const out: Record<string, HostArray> = {};
  for (const name of Object.keys(c.compare)) {
    const host = c.bufs[name]!;
    const copy = new (host.constructor as new (n: number) => HostArray)(host.length);
    backend.read(address.get(name)!, copy);
    out[name] = copy;
  }
  for (const p of address.values()) backend.free(p);
  return out;
}

const widen = (a: HostArray, bf16: boolean) =>
  a instanceof Uint16Array && bf16
    ? Float64Array.from(a, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!)
    : Float64Array.from(a);

export function relErr(got: HostArray, want: HostArray, bf16: boolean): number {
  const g = widen(got, bf16);
  const w = widen(want, bf16);
  let d = 0;
  let m = 0;
  for (let i = 0; i < w.length; i++) {
    if (Number.isNaN(w[i]!) !== Number.isNaN(g[i]!)) return Number.POSITIVE_INFINITY;
    if (Number.isNaN(w[i]!)) continue;
    d = Math.max(d, Math.abs(g[i]! - w[i]!));
    m = Math.max(m, Math.abs(w[i]!));
  }
  return m === 0 ? d : d / m;
}

// ---- inputs ----
const r = rng(7);
const f32 = (n: number, scale = 1) => randn(n, r, scale);
const bf16 = (n: number, scale = 1) => Uint16Array.from(randn(n, r, scale), floatToBf16);
const f16 = (n: number) => Uint16Array.from(randn(n, r), floatToF16);
const zeros = (n: number) => new Float32Array(n);
const nans = (n: number) => new Float32Array(n).fill(Number.NaN);
const ints = (n: number, below: number, negEvery = 0) =>
  Int32Array.from({ length: n }, (_, i) => (negEvery && i % negEvery === 1 ? -1 : Math.floor(r() * below)));

export const cases: Case[] = [];

// GEMM: every transpose pair, padded leading dimensions, beta accumulating and beta = 0 over NaN.
{
  const [M, N, K] = [17, 33, 29];
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const lda = (ta ? M : K) + 3;
    const ldb = (tb ? K : N) + 1;
    const ldc = N + 2;
    const A = f32((ta ? K : M) * lda);
    const B = f32((tb ? N : K) * ldb);
    const tag = `${ta ? "T" : "N"}${tb ? "T" : "N"}`;
    cases.push({
      name: `sgemm ${tag} beta 0.3`,
      kernel: "sgemm",
      bufs: { A, B, C: f32(M * ldc) },
      args: [ta, tb, M, N, K, 0.7, "A", lda, "B", ldb, 0.3, "C", ldc],
      compare: { C: 1e-5 },
    });
    cases.push({
      name: `sgemm ${tag} beta 0 never reads C`,
      kernel: "sgemm",
      bufs: { A, B, C: nans(M * ldc) },
      args: [ta, tb, M, N, K, 1, "A", lda, "B", ldb, 0, "C", ldc],
      // The padding columns stay NaN on both sides; the rest must be finite and equal.
      compare: { C: 1e-5 },
    });
  }
  for (const [kernel, make] of [
    ["gemmBf16", bf16],
    ["gemmF16", f16],
  ] as const) {
    cases.push({
      name: `${kernel} NT`,
      kernel,
      bufs: { A: make(M * K), B: make(N * K), C: f32(M * N) },
      args: [false, true, M, N, K, 1, "A", K, "B", K, 1, "C", N],
      compare: { C: 1e-5 },
    });
  }
  const batch = 3;
  for (const [kernel, make] of [
    ["gemmBf16StridedBatched", bf16],
    ["gemmF16StridedBatched", f16],
  ] as const) {
    cases.push({
      name: `${kernel} TN`,
      kernel,
      bufs: { A: make(batch * K * M), B: make(batch * K * N), C: f32(batch * M * N) },
      args: [true, false, M, N, K, 0.5, "A", M, "B", N, 1, "C", N, K * M, K * N, M * N, batch],
      compare: { C: 1e-5 },
    });
  }
  cases.push({
    name: "sgemmStridedBatched",
    kernel: "sgemmStridedBatched",
    bufs: { A: f32(batch * M * K), B: f32(batch * K * N), C: zeros(batch * M * N) },
    args: [false, false, M, N, K, 1, "A", K, "B", N, 0, "C", N, M * K, K * N, M * N, batch],
    compare: { C: 1e-5 },
  });
}

// Element-wise ops at an odd size.
{
  const n = 1029;
  const x = f32(n, 2);
  const y = f32(n);
  const one = (
    kernel: string,
    args: Arg[],
    outName = "out",
    tol = 1e-6,
    extra: Record<string, HostArray> = {},
  ) =>
    cases.push({
      name: kernel,
      kernel,
      bufs: { x, y, out: zeros(n), ...extra },
      args,
      compare: { [outName]: tol },
    });
  one("scaleF32", ["out", "x", -1.5, n], "out", 0);
  one("axpyF32", ["out", "x", "y", 0.25, n], "out", 0);
  one("residualForward", ["out", "x", "y", n], "out", 0);
  for (const t of [false, true]) {
    cases.push({
      name: `geluForward tanh=${t}`,
      kernel: "geluForward",
      bufs: { x, out: zeros(n) },
      args: ["out", "x", n, t],
      compare: { out: 1e-5 },
    });
    cases.push({
      name: `geluBackward tanh=${t}`,
      kernel: "geluBackward",
      bufs: { x, y, out: zeros(n) },
      args: ["out", "y", "x", n, t],
      compare: { out: 1e-5 },
    });
  }
  one("reluForward", ["out", "x", n], "out", 0);
  one("reluBackward", ["out", "y", "x", n], "out", 0);
  one("siluForward", ["out", "x", n], "out", 1e-5);
  one("siluBackward", ["out", "y", "x", n], "out", 1e-5);
  one("castF32ToF16", [{ buf: "h", at: 0 }, "x", n], "h", 0, { h: new Uint16Array(n) });
  one("castF16ToF32", ["out", "h", n], "out", 0, { h: f16(n) });
  // Dropout: the same mask bit for bit, with an offset crossing a 2^32 counter boundary.
  for (const kernel of ["dropoutForward", "dropoutBackward"]) {
    one(kernel, ["out", "x", n, 0.3, 2 ** 40 + 5, 2 ** 32 - 500], "out", 0);
  }
  const [R, C] = [37, 45];
  const m = f32(R * C);
  cases.push({
    name: "copyStridedF32 transpose",
    kernel: "copyStridedF32",
    bufs: { m, out: zeros(R * C) },
    args: ["out", "m", 1, 1, C, R, 0, 0, 1, C],
    compare: { out: 0 },
  });
  for (const acc of [false, true]) {
    for (const kernel of ["sumRowsF32", "sumColsF32"]) {
      cases.push({
        name: `${kernel} accumulate=${acc}`,
        kernel,
        bufs: { m, out: f32(kernel === "sumRowsF32" ? C - 4 : R) },
        args: ["out", "m", R, C - 4, C, 0.5, acc],
        compare: { out: 1e-5 },
      });
    }
  }
  const bias = f32(C);
  cases.push({
    name: "biasAddForward",
    kernel: "biasAddForward",
    bufs: { m, bias, out: zeros(R * C) },
    args: ["out", "m", "bias", R, C],
    compare: { out: 0 },
  });
  cases.push({
    name: "biasAddBackward",
    kernel: "biasAddBackward",
    bufs: { m, db: f32(C) },
    args: ["db", "m", R, C],
    compare: { db: 1e-5 },
  });
  cases.push({
    name: "residualBackward",
    kernel: "residualBackward",
    bufs: { m, da: zeros(R * C) },
    args: ["da", null, "m", R * C],
    compare: { da: 0 },
  });
  const gin = f32(R * 2 * C);
  for (const kind of [0, 1, 2, 3]) {
    cases.push({
      name: `gluForward kind ${kind}`,
      kernel: "gluForward",
      bufs: { gin, out: zeros(R * C) },
      args: ["out", "gin", R, C, kind],
      compare: { out: 1e-5 },
    });
    cases.push({
      name: `gluBackward kind ${kind}`,
      kernel: "gluBackward",
      bufs: { gin, m, out: zeros(R * 2 * C) },
      args: ["out", "m", "gin", R, C, kind],
      compare: { out: 1e-5 },
    });
  }
}

// Norms: with and without parameters, fp32 and bf16 activations.
{
  const [N, C] = [13, 203];
  const inp = f32(N * C, 3);
  const dout = f32(N * C);
  const w = f32(C, 0.5);
  const b = f32(C);
  const stats = (seed: Float32Array) => ({ mean: seed, rstd: zeros(N) });
  cases.push({
    name: "layernormForward",
    kernel: "layernormForward",
    bufs: { out: zeros(N * C), ...stats(zeros(N)), inp, w, b },
    args: ["out", "mean", "rstd", "inp", "w", "b", N, C, 1e-5],
    compare: { out: 1e-5, mean: 1e-5, rstd: 1e-5 },
  });
  // Backward from statistics the CPU computed (same inputs on both sides).
  const mean = new Float32Array(N);
  const rstd = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += inp[n * C + c]!;
    const mu = s / C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (inp[n * C + c]! - mu) ** 2;
    mean[n] = mu;
    rstd[n] = 1 / Math.sqrt(v / C + 1e-5);
  }
  for (const params of [true, false]) {
    cases.push({
      name: `layernormBackward params=${params}`,
      kernel: "layernormBackward",
      bufs: { dinp: zeros(N * C), dw: f32(C), db: f32(C), dout, inp, w, mean, rstd },
      args: [
        "dinp",
        params ? "dw" : null,
        params ? "db" : null,
        "dout",
        "inp",
        params ? "w" : null,
        "mean",
        "rstd",
        N,
        C,
      ],
      compare: { dinp: 1e-5, dw: 1e-5, db: 1e-5 },
    });
    cases.push({
      name: `rmsnormForward weight=${params}`,
      kernel: "rmsnormForward",
      bufs: { out: zeros(N * C), rstd: zeros(N), inp, w },
      args: ["out", "rstd", "inp", params ? "w" : null, N, C, 1e-6],
      compare: { out: 1e-5, rstd: 1e-5 },
    });
    cases.push({
      name: `rmsnormBackward weight=${params}`,
      kernel: "rmsnormBackward",
      bufs: { dinp: zeros(N * C), dw: f32(C), dout, inp, w, rstd },
      args: ["dinp", params ? "dw" : null, "dout", "inp", params ? "w" : null, "rstd", N, C],
      compare: { dinp: 1e-5, dw: 1e-5 },
    });
  }
  const xb = bf16(N * C, 3);
  const db16 = bf16(N * C);
  // bf16 outputs may differ by one bf16 rounding (2^-8 relative).
  cases.push({
    name: "rmsnormForwardBf16",
    kernel: "rmsnormForwardBf16",
    bufs: { out: new Uint16Array(N * C), rstd: zeros(N), xb, w },
    args: ["out", "rstd", "xb", "w", N, C, 1e-6],
    compare: { out: 8e-3, rstd: 1e-5 },
  });
  cases.push({
    name: "rmsnormBackwardBf16",
    kernel: "rmsnormBackwardBf16",
    bufs: { dinp: new Uint16Array(N * C), dw: f32(C), db16, xb, w, rstd },
    args: ["dinp", "dw", "db16", "xb", "w", "rstd", N, C],
    compare: { dinp: 8e-3, dw: 1e-4 },
  });
  cases.push({
    name: "layernormBackwardBf16",
    kernel: "layernormBackwardBf16",
    bufs: { dinp: new Uint16Array(N * C), dw: f32(C), db: f32(C), db16, xb, w, mean, rstd },
    args: ["dinp", "dw", "db", "db16", "xb", "w", "mean", "rstd", N, C],
    compare: { dinp: 8e-3, dw: 1e-4, db: 1e-4 },
  });
  cases.push({
    name: "layernormForwardBf16",
    kernel: "layernormForwardBf16",
    bufs: { out: new Uint16Array(N * C), mean: zeros(N), rstd: zeros(N), xb, w, b },
    args: ["out", "mean", "rstd", "xb", "w", "b", N, C, 1e-5],
    compare: { out: 8e-3, mean: 1e-5, rstd: 1e-5 },
  });
}

// Losses, argmax, embedding.
{
  const [N, V] = [11, 1000];
  const logits = f32(N * V, 3);
  const targets = ints(N, V, 4); // every fourth row ignored (-1)
  const mask = Float32Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 0 : 1));
  const dloss = Float32Array.of(0.75);
  for (const withMask of [false, true]) {
    const m = withMask ? "mask" : null;
    cases.push({
      name: `crossEntropyForward mask=${withMask}`,
      kernel: "crossEntropyForward",
      bufs: { loss: zeros(1), losses: zeros(N), lse: zeros(N), logits, targets, mask },
      args: ["loss", "losses", "lse", "logits", "targets", m, N, V],
      compare: { loss: 1e-5, losses: 1e-5, lse: 1e-6 },
    });
    cases.push({
      name: `crossEntropyFused mask=${withMask}`,
      kernel: "crossEntropyFused",
      bufs: { loss: zeros(1), losses: zeros(N), dlogits: zeros(N * V), logits, targets, mask, dloss },
      args: ["loss", "losses", "dlogits", "logits", "targets", m, "dloss", N, V],
      compare: { loss: 1e-5, losses: 1e-5, dlogits: 1e-5 },
    });
  }
  const lse = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, logits[n * V + v]!);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[n * V + v]! - mx);
    lse[n] = mx + Math.log(s);
  }
  cases.push({
    name: "crossEntropyBackward",
    kernel: "crossEntropyBackward",
    bufs: { dlogits: zeros(N * V), logits, lse, targets, mask, dloss },
    args: ["dlogits", "logits", "lse", "targets", "mask", "dloss", N, V],
    compare: { dlogits: 1e-5 },
  });
  const am = f32(N * V);
  am[5] = am[900] = 50; // a tie in row 0: the first index wins
  am[V + 3] = Number.NaN; // NaN skipped
  for (let v = 0; v < V; v++) am[2 * V + v] = Number.NaN; // a row of NaNs gives 0
  cases.push({
    name: "argmaxRows",
    kernel: "argmaxRows",
    bufs: { out: new Int32Array(N), am },
    args: ["out", "am", N, V],
    compare: { out: 0 },
  });
  const [T, C, Vocab] = [300, 24, 50];
  const ids = ints(T, Vocab); // many repeats: the backward's buckets
  const table = f32(Vocab * C);
  cases.push({
    name: "embeddingForward",
    kernel: "embeddingForward",
    bufs: { out: zeros(T * C), ids, table },
    args: ["out", "ids", "table", T, C, Vocab],
    compare: { out: 0 },
  });
  cases.push({
    name: "embeddingBackward",
    kernel: "embeddingBackward",
    bufs: { dw: f32(Vocab * C), dout: f32(T * C), ids },
    args: ["dw", "dout", "ids", T, C, Vocab],
    compare: { dw: 1e-6 },
  });
}

// Optimizers over three tensors (one empty), from one step-scalars buffer.
{
  const sizes = [1000, 0, 77];
  const group = (prefix: string) => sizes.map((n, i) => [`${prefix}${i}`, f32(Math.max(n, 1))] as const);
  const bufs = (...prefixes: string[]) => Object.fromEntries(prefixes.flatMap(group));
  const names = (prefix: string) => sizes.map((_, i) => `${prefix}${i}`);
  // lr, t, unscale, max_norm, grad_norm, grad_scale, found_inf
  const scalars = Float32Array.of(1e-3, 3, 0.5, 1, 0, 0.5, 0, 0);
  const decays = [0.1, 0, 0.01];
  const cmp = (...prefixes: string[]) =>
    Object.fromEntries(prefixes.flatMap((p) => names(p).map((n) => [n, 1e-6])));
  cases.push({
    name: "prepareGrads",
    kernel: "prepareGrads",
    bufs: { ...bufs("g"), scalars: scalars.slice() },
    args: [names("g"), sizes, "scalars"],
    compare: { scalars: 1e-6 },
  });
  cases.push({
    name: "adamwStep",
    kernel: "adamwStep",
    bufs: {
      ...bufs("p", "g", "m"),
      ...Object.fromEntries(group("v").map(([k, a]) => [k, a.map(Math.abs)])),
      scalars,
    },
    args: [names("p"), names("g"), names("m"), names("v"), sizes, decays, 0.9, 0.95, 1e-8, "scalars"],
    compare: cmp("p", "m", "v"),
  });
  cases.push({
    name: "lionStep",
    kernel: "lionStep",
    bufs: { ...bufs("p", "g", "m"), scalars },
    args: [names("p"), names("g"), names("m"), sizes, decays, 0.9, 0.99, "scalars"],
    compare: cmp("p", "m"),
  });
  for (const nesterov of [false, true]) {
    cases.push({
      name: `sgdStep nesterov=${nesterov}`,
      kernel: "sgdStep",
      bufs: { ...bufs("p", "g", "b"), scalars },
      args: [names("p"), names("g"), names("b"), sizes, decays, 0.9, 0.1, nesterov, "scalars"],
      compare: cmp("p", "b"),
    });
  }
  cases.push({
    name: "adamwStep skips a step with found_inf",
    kernel: "adamwStep",
    bufs: { ...bufs("p", "g", "m", "v"), scalars: Float32Array.of(1e-3, 3, 1, 0, 0, 1, 1, 0) },
    args: [names("p"), names("g"), names("m"), names("v"), sizes, decays, 0.9, 0.95, 1e-8, "scalars"],
    compare: cmp("p"),
  });
}

// Attention: dense (B, T, H, HS) layouts, GQA, window, ALiBi, Tq < Tk, dropout; and GPT-NeoX's
// interleaved fused QKV (strides 3·HS) with HS = 64.
{
  interface Shape {
    tag: string;
    B: number;
    Tq: number;
    Tk: number;
    NH: number;
    NKV: number;
    HS: number;
    window: number;
    alibi: boolean;
    p: number;
    fused?: boolean;
  }
  const shapes: Shape[] = [
    { tag: "MHA causal", B: 2, Tq: 19, Tk: 19, NH: 3, NKV: 3, HS: 8, window: -1, alibi: false, p: 0 },
    { tag: "GQA 4/2, ALiBi", B: 1, Tq: 33, Tk: 33, NH: 4, NKV: 2, HS: 16, window: -1, alibi: true, p: 0 },
    { tag: "MQA, window 5", B: 2, Tq: 21, Tk: 21, NH: 4, NKV: 1, HS: 40, window: 5, alibi: false, p: 0 },
    { tag: "Tq < Tk, window 7", B: 1, Tq: 6, Tk: 25, NH: 2, NKV: 2, HS: 32, window: 7, alibi: true, p: 0 },
    { tag: "dropout 0.2", B: 1, Tq: 17, Tk: 17, NH: 2, NKV: 1, HS: 24, window: -1, alibi: false, p: 0.2 },
    {
      tag: "fused QKV, HS 64",
      B: 2,
      Tq: 40,
      Tk: 40,
      NH: 2,
      NKV: 2,
      HS: 64,
      window: -1,
      alibi: false,
      p: 0,
      fused: true,
    },
  ];
  for (const s of shapes) {
    const slopes = Float32Array.from({ length: s.NH }, (_, h) => 2 ** -(h + 1));
    const outN = s.B * s.Tq * s.NH * s.HS;
    let bufs: Record<string, HostArray>;
    let qkv: [Ref, Ref, Ref];
    let dqkv: [Ref, Ref, Ref];
    let strides: number[];
    if (s.fused) {
      const W = s.NH * 3 * s.HS;
      bufs = { qkv: f32(s.B * s.Tk * W), dqkv: zeros(s.B * s.Tk * W) };
      qkv = ["qkv", { buf: "qkv", at: s.HS }, { buf: "qkv", at: 2 * s.HS }];
      dqkv = ["dqkv", { buf: "dqkv", at: s.HS }, { buf: "dqkv", at: 2 * s.HS }];
      const st = [s.Tk * W, W, 3 * s.HS];
      strides = [...st, ...st, ...st];
    } else {
      const kvN = s.B * s.Tk * s.NKV * s.HS;
      bufs = {
        q: f32(s.B * s.Tq * s.NH * s.HS),
        k: f32(kvN),
        v: f32(kvN),
        dq: zeros(outN),
        dk: zeros(kvN),
        dv: zeros(kvN),
      };
      qkv = ["q", "k", "v"];
      dqkv = ["dq", "dk", "dv"];
      const kv = [s.Tk * s.NKV * s.HS, s.NKV * s.HS, s.HS];
      strides = [s.Tq * s.NH * s.HS, s.NH * s.HS, s.HS, ...kv, ...kv];
    }
    const dims = [s.B, s.Tq, s.Tk, s.NH, s.NKV, s.HS, ...strides, s.window, 1 / Math.sqrt(s.HS)];
    const drop = [s.p, 12345, 2 ** 32 - 100];
    const sl = s.alibi ? "slopes" : null;
    cases.push({
      name: `attentionForward ${s.tag}`,
      kernel: "attentionForward",
      bufs: { ...bufs, out: zeros(outN), lse: zeros(s.B * s.NH * s.Tq), slopes },
      args: ["out", "lse", ...qkv, sl, ...dims, ...drop],
      compare: { out: 2e-5, lse: 1e-5 },
    });
    // The backward from the CPU's forward outputs, computed here on the CPU backend first.
    const fwd = runOn(getBackend("cpu"), {
      name: "forward for backward",
      kernel: "attentionForward",
      bufs: { ...bufs, out: zeros(outN), lse: zeros(s.B * s.NH * s.Tq), slopes },
      args: ["out", "lse", ...qkv, sl, ...dims, ...drop],
      compare: { out: 0, lse: 0 },
    });
    const grads: Record<string, number> = s.fused ? { dqkv: 2e-5 } : { dq: 2e-5, dk: 2e-5, dv: 2e-5 };
    cases.push({
      name: `attentionBackward ${s.tag}`,
      kernel: "attentionBackward",
      bufs: { ...bufs, dout: f32(outN), out: fwd.out!, lse: fwd.lse!, slopes },
      args: [...dqkv, "dout", ...qkv, "out", "lse", sl, ...dims, ...drop],
      compare: grads,
    });
  }
  const [B, T, NH, HS, rot] = [2, 9, 3, 16, 12];
  const nPos = 20;
  cases.push({
    name: "rotaryTable",
    kernel: "rotaryTable",
    bufs: { cos: zeros(nPos * (rot / 2)), sin: zeros(nPos * (rot / 2)) },
    args: ["cos", "sin", nPos, rot, 10000],
    compare: { cos: 0, sin: 0 },
  });
  const cos = Float32Array.from({ length: nPos * (rot / 2) }, () => r() * 2 - 1);
  const sin = Float32Array.from({ length: nPos * (rot / 2) }, () => r() * 2 - 1);
  const x = f32(B * T * NH * 3 * HS);
  const dense = [T * NH * HS, NH * HS, HS];
  const strided = [T * NH * 3 * HS, NH * 3 * HS, 3 * HS];
  for (const kernel of ["rotaryForward", "rotaryBackward"]) {
    cases.push({
      name: `${kernel} strided input, posOffset 4`,
      kernel,
      bufs: { out: zeros(B * T * NH * HS), x, cos, sin },
      args: ["out", { buf: "x", at: HS }, "cos", "sin", B, T, NH, HS, rot, 4, ...dense, ...strided],
      // x1·c - x2·s may be contracted to an fma on either side: not bit-exact.
      compare: { out: 1e-6 },
    });
  }
  for (const heads of [8, 12]) {
    cases.push({
      name: `alibiSlopes ${heads}`,
      kernel: "alibiSlopes",
      bufs: { s: zeros(heads) },
      args: ["s", heads],
      compare: { s: 0 },
    });
  }
}

/** Whether buffer `name` of case `c` holds bf16 bits (compared as the floats they encode). */
function holdsBf16(c: Case, name: string): boolean {
  return c.kernel.endsWith("Bf16") && c.bufs[name] instanceof Uint16Array;
}

/** Each compared buffer's error of `got` against `want` and its tolerance. */
export function compareCase(
  c: Case,
  got: Record<string, HostArray>,
  want: Record<string, HostArray>,
): { buffer: string; err: number; tol: number }[] {
  return Object.entries(c.compare).map(([buffer, tol]) => ({
    buffer,
    err: relErr(got[buffer]!, want[buffer]!, holdsBf16(c, buffer)),
    tol,
  }));
}
