// GPU op parity cases (gpu-parity-cases.ts collects them): losses, argmax, embedding,
// optimizers and attention.
import { getBackend } from "../src/index";
import { f32, ints, r, zeros } from "./gpu-parity-inputs";
import { type Case, type HostArray, type Ref, runOn } from "./gpu-parity-run";

export const cases: Case[] = [];

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
