// GEMM parity against the float64 reference (src/reference/gemm.ts) under every ISA this CPU runs,
// with the cases of test/cases/gemm.ts (odd sizes 1/3/17/129, every transpose pair, alpha/beta,
// padded leading dimensions, strided batches, bf16 and fp16 inputs). Inputs are rounded to the kernel's
// dtype first, so the reference sees exactly what the kernel sees and only the fp32 accumulation
// differs. Also: thread counts, argument errors, and an OpenBLAS cross-check when it loads.
import { expect, it } from "vitest";
import {
  gemm,
  gemmBf16,
  gemmF16,
  gemmStridedBatched,
  gemmStridedBatchedBf16,
  gemmStridedBatchedF16,
  NativeBuffer,
  numThreads,
  openblasGemm,
  openblasStatus,
  referenceGemm,
  setGemmBf16Path,
  setNumThreads,
  withIsa,
} from "../src/index";
import { type GemmCase, gemmCases } from "./cases/gemm";
import { describeNative, expectClose, fromNative, isas, Rng, roundTo, toNative } from "./helpers/native";

const SENTINEL = 12345.5; // in C's padding: must survive untouched
const SINGLE = { f32: gemm, bf16: gemmBf16, f16: gemmF16 };
const BATCHED = { f32: gemmStridedBatched, bf16: gemmStridedBatchedBf16, f16: gemmStridedBatchedF16 };

function runCase(c: GemmCase, isa: string, seed: number): void {
  const rng = new Rng(seed);
  const dtype = c.op.includes("Bf16") ? "bf16" : c.op.includes("F16") ? "f16" : "f32";
  const batch = c.batch ?? 1;
  const batched = c.op.includes("StridedBatched");
  const [aRows, aCols] = c.transA ? [c.K, c.M] : [c.M, c.K];
  const [bRows, bCols] = c.transB ? [c.N, c.K] : [c.K, c.N];
  const lda = Math.max(1, aCols + (c.padA ?? 0));
  const ldb = Math.max(1, bCols + (c.padB ?? 0));
  const ldc = Math.max(1, c.N + (c.padC ?? 0));
  const strideA = aRows * lda + 3; // odd gaps between matrices
  const strideB = bRows * ldb + 1;
  const strideC = c.M * ldc + 2;
  const A = roundTo(rng.uniformArray(Math.max(1, batch * strideA)), dtype);
  const B = roundTo(rng.uniformArray(Math.max(1, batch * strideB)), dtype);
  const C0 = roundTo(rng.uniformArray(Math.max(1, batch * strideC)), "f32");
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < c.M; i++) {
      for (let j = 0; j < strideC; j++) {
        const idx = b * strideC + j;
        if (j >= c.M * ldc || j % ldc >= c.N) C0[idx] = SENTINEL;
        else if (c.nanC) C0[idx] = Number.NaN;
      }
    }
  }
  const expected = Float64Array.from(C0);
  referenceGemm.gemmStridedBatched(
    c.transA,
    c.transB,
    c.M,
    c.N,
    c.K,
    c.alpha,
    A,
    lda,
    B,
    ldb,
    c.beta,
    expected,
    ldc,
    strideA,
    strideB,
    strideC,
    batch,
  );
  const nA = toNative(A, dtype);
  const nB = toNative(B, dtype);
  const nC = toNative(C0, "f32");
  try {
    withIsa(isa as never, () => {
      const args = [
        c.transA,
        c.transB,
        c.M,
        c.N,
        c.K,
        c.alpha,
        nA.address,
        lda,
        nB.address,
        ldb,
        c.beta,
        nC.address,
        ldc,
      ] as const;
      if (batched) BATCHED[dtype](...args, strideA, strideB, strideC, batch);
      else SINGLE[dtype](...args);
    });
    expectClose(fromNative(nC), expected, c.tol ?? { atol: 1e-5, rtol: 1e-5 }, `${isa} ${c.op} ${c.name}`);
  } finally {
    nA.free();
    nB.free();
    nC.free();
  }
}

const isBf16 = (c: GemmCase) => c.op === "gemmBf16" || c.op === "gemmBf16StridedBatched";

describeNative("gemm parity", () => {
  for (const isa of isas()) {
    gemmCases.forEach((c, i) => {
      // Under AVX-512, bf16 runs on vdpbf16ps or widened to fp32 (chosen per core): test both.
      const paths = isa === "avx512" && isBf16(c) ? (["dot", "fp32"] as const) : ([null] as const);
      for (const path of paths) {
        it(`${isa}${path ? `/${path}` : ""} ${c.op} ${c.name}`, () => {
          if (path) setGemmBf16Path(path);
          try {
            runCase(c, isa, 1000 + i);
          } finally {
            if (path) setGemmBf16Path("auto");
          }
        });
      }
    });
  }

  it("gives the same result with 1, 2 and 3 threads (row and column splits)", () => {
    const before = numThreads();
    const shapes: GemmCase[] = [
      { op: "sgemm", name: "tall", transA: false, transB: true, M: 301, N: 45, K: 77, alpha: 1, beta: 0 },
      { op: "sgemm", name: "wide", transA: true, transB: false, M: 20, N: 700, K: 50, alpha: 1, beta: 0.5 },
      {
        op: "gemmF16",
        name: "tall f16",
        transA: true,
        transB: false,
        M: 301,
        N: 45,
        K: 77,
        alpha: 1,
        beta: 0,
      },
      {
        op: "gemmBf16",
        name: "wide bf16",
        transA: false,
        transB: false,
        M: 25,
        N: 500,
        K: 90,
        alpha: 1,
        beta: 0,
      },
    ];
    try {
      for (const threads of [1, 2, 3]) {
        setNumThreads(threads);
        for (const isa of isas())
          for (const c of shapes) runCase({ ...c, tol: { atol: 2e-4, rtol: 1e-5 } }, isa, 7);
      }
    } finally {
      setNumThreads(before);
    }
  });

  // Each C element sums its K-blocks in the same order whatever the split of C among threads, so
  // the bits do not depend on the thread count (a planned step must replay like an eager one).
  it("fp16: bit-identical results with 1, 2 and 3 threads, packed and unpacked", () => {
    const before = numThreads();
    const rng = new Rng(9);
    try {
      for (const [ta, tb, M, N, K] of [
        [false, true, 150, 200, 700],
        [true, false, 97, 301, 130],
        [false, false, 3, 900, 260],
      ] as const) {
        const A = toNative(rng.uniformArray(M * K), "f16");
        const B = toNative(rng.uniformArray(K * N), "f16");
        const C = new NativeBuffer(M * N);
        try {
          const results = [1, 2, 3].map((threads) => {
            setNumThreads(threads);
            gemmF16(ta, tb, M, N, K, 1, A.address, ta ? M : K, B.address, tb ? K : N, 0, C.address, N);
            return Float32Array.from(C.f32());
          });
          expect(results[1]).toEqual(results[0]);
          expect(results[2]).toEqual(results[0]);
        } finally {
          for (const b of [A, B, C]) b.free();
        }
      }
    } finally {
      setNumThreads(before);
    }
  });

  // What the loss scaler relies on: an fp16 operand at Inf gives Inf (or NaN from Inf - Inf) in C,
  // never a clamped finite value; the largest finite value and subnormals are widened exactly.
  it("fp16: Inf propagates, 65504 and subnormals are exact (against the bit-decoding reference)", () => {
    const K = 3;
    const N = 5;
    const rows = [
      [0x7bff, 0x0001, 0x3c00], // 65504, 2^-24, 1
      [0x7c00, 0x0000, 0x0000], // +Inf
      [0x03ff, 0x8001, 0xfbff], // largest subnormal, -2^-24, -65504
      [0x7c00, 0xfc00, 0x0000], // Inf and -Inf in one row
      [0x0200, 0x0200, 0x0200],
      [0x3c00, 0x7bff, 0x8001],
      [0xfbff, 0x0001, 0x7c00],
      [0x0000, 0x3c00, 0x03ff],
      [0x7c00, 0x3c00, 0x3c00],
    ];
    for (const M of [2, 5, 9]) {
      // M <= 8 runs unpacked under AVX-512 (4 columns per pass at M = 2, 2 at M = 5); M = 9 packs.
      const A = Uint16Array.from(rows.slice(0, M).flat());
      const B = Uint16Array.from({ length: K * N }, (_, i) => [0x3c00, 0x4000, 0x3800][i % 3]!); // 1, 2, 0.5
      const want = new Float64Array(M * N);
      referenceGemm.gemmF16(false, false, M, N, K, 1, A, K, B, N, 0, want, N);
      for (const isa of isas()) {
        const nA = new NativeBuffer(A.length, "f16");
        const nB = new NativeBuffer(B.length, "f16");
        const nC = new NativeBuffer(M * N);
        try {
          nA.u16().set(A);
          nB.u16().set(B);
          withIsa(isa as never, () =>
            gemmF16(false, false, M, N, K, 1, nA.address, K, nB.address, N, 0, nC.address, N),
          );
          const got = fromNative(nC);
          for (let i = 0; i < M * N; i++) {
            const w = Math.fround(want[i]!);
            if (Number.isNaN(w)) expect(got[i], `${isa} M=${M} [${i}]`).toBeNaN();
            else expect(got[i], `${isa} M=${M} [${i}]`).toBe(w);
          }
          if (M > 1) expect(got[N]).toBe(Number.POSITIVE_INFINITY);
        } finally {
          for (const b of [nA, nB, nC]) b.free();
        }
      }
    }
  });

  it("rejects bad leading dimensions, sizes and strides with the argument named", () => {
    const buf = new NativeBuffer(64);
    const a = buf.address;
    try {
      expect(() => gemm(false, false, 2, 2, 4, 1, a, 3, a, 2, 0, a, 2)).toThrow(
        /gemm: lda=3 is smaller than K=4, the row length of A/,
      );
      expect(() => gemm(false, true, 2, 3, 4, 1, a, 4, a, 3, 0, a, 3)).toThrow(/ldb=3 is smaller than K=4/);
      expect(() => gemm(false, false, 2, 3, 4, 1, a, 4, a, 3, 0, a, 2)).toThrow(/ldc=2 is smaller than N=3/);
      expect(() => gemm(false, false, -1, 3, 4, 1, a, 4, a, 3, 0, a, 3)).toThrow(
        /sgemm: argument 2 must be >= 0/,
      );
      expect(() => gemm(false, false, 2, 2, 2, 1, 0, 2, a, 2, 0, a, 2)).toThrow(/A is the null address/);
      expect(() => gemmStridedBatched(false, false, 2, 2, 2, 1, a, 2, a, 2, 0, a, 2, 4, 4, 3, 2)).toThrow(
        /strideC=3 is smaller than \(M-1\)\*ldc\+N=4/,
      );
      expect(() => (gemm as (...x: unknown[]) => void)(2, false, 1, 1, 1, 1, a, 1, a, 1, 0, a, 1)).toThrow(
        /sgemm: argument 0 must be a boolean \(or 0\/1\)/,
      );
    } finally {
      buf.free();
    }
  });

  const blas = (() => {
    try {
      return openblasStatus();
    } catch {
      return "addon not built";
    }
  })();
  const wantBlas = process.env.NEOX_BLAS === "openblas";
  it.skipIf(blas !== "" && !wantBlas)(`matches OpenBLAS (cblas_sgemm loaded at run time) ${blas}`, () => {
    expect(blas, "NEOX_BLAS=openblas is set but OpenBLAS did not load").toBe("");
    const rng = new Rng(3);
    for (const [ta, tb, M, N, K] of [
      [false, false, 257, 129, 300],
      [true, true, 64, 333, 1000],
      [false, true, 1, 1000, 17],
    ] as const) {
      const lda = ta ? M : K;
      const ldb = tb ? K : N;
      const A = toNative(rng.uniformArray(M * K));
      const B = toNative(rng.uniformArray(K * N));
      const C1 = new NativeBuffer(M * N);
      const C2 = new NativeBuffer(M * N);
      try {
        gemm(ta, tb, M, N, K, 1, A.address, lda, B.address, ldb, 0, C1.address, N);
        openblasGemm(ta, tb, M, N, K, 1, A.address, lda, B.address, ldb, 0, C2.address, N, 1);
        expectClose(
          fromNative(C1),
          fromNative(C2),
          { atol: 1e-5 * Math.sqrt(K), rtol: 1e-5 },
          `openblas ${M}x${N}x${K}`,
        );
      } finally {
        for (const b of [A, B, C1, C2]) b.free();
      }
    }
  });
});
