// GPU op parity cases (gpu-parity-cases.ts collects them): GEMM, element-wise ops and norms.
import { bf16, f16, f32, nans, zeros } from "./gpu-parity-inputs";
import type { Arg, Case, HostArray } from "./gpu-parity-run";

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
