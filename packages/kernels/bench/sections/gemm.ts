// GEMM throughput, GFLOP/s = 2*M*N*K / time, at GPT-NeoX shapes (d_model 384: MLP up/down, the
// 50304-wide LM head) and 1024^3, on 1 and 2 threads, beside OpenBLAS's cblas_sgemm loaded at run
// time in the same process with the same thread count. Goals (DESIGN §5): fp32 >= 0.95x OpenBLAS
// on 1 thread, >= 0.9x on 2; bf16 >= 1.6x our fp32; fp16 (widened while packing: no fp16 FMA on
// these cores) about our fp32, measured at one shape. Row-major NN; best of several calls.
import {
  gemm,
  gemmBf16,
  gemmBf16Path,
  gemmF16,
  isa,
  NativeBuffer,
  numThreads,
  openblasCore,
  openblasGemm,
  openblasStatus,
  setNumThreads,
} from "../../src/index";
import type { Section } from "../kernels";

const SHAPES: [number, number, number, string][] = [
  [2048, 1536, 384, "MLP up, d384"],
  [2048, 384, 1536, "MLP down"],
  [2048, 50304, 384, "LM head"],
  [1024, 1024, 1024, "square"],
  // One token at a time (generation): bound by reading B once; no goal, reported beside OpenBLAS.
  [1, 1536, 384, "1 token, MLP up"],
  [1, 50304, 384, "1 token, LM head"],
];
// The one shape with an fp16 row (widening costs the same at every shape; one keeps the run short).
const F16_SHAPE = "square";

/** Best seconds per call: one warm-up, then calls until `minSeconds` have passed (at least `minReps`). */
function bestTime(fn: () => void, minSeconds = 1, minReps = 3): number {
  fn();
  let best = Number.POSITIVE_INFINITY;
  const start = performance.now();
  for (let rep = 0; rep < minReps || performance.now() - start < minSeconds * 1000; rep++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
    if (rep > 50) break;
  }
  return best;
}

function fill(buf: NativeBuffer, seed: number): void {
  if (buf.dtype === "f32") {
    const v = buf.f32();
    for (let i = 0; i < v.length; i++) v[i] = ((((i * 2654435761 + seed) >>> 0) % 2001) - 1000) / 1000;
  } else if (buf.dtype === "f16") {
    const v = buf.u16();
    // fp16 of values in [0.5, 1) (0x3800 = 0.5): vary the 10 mantissa bits and the sign.
    for (let i = 0; i < v.length; i++) v[i] = (((i * 40503 + seed) & 0x3ff) | 0x3800) ^ (i & 1 ? 0x8000 : 0);
  } else {
    const v = buf.u16();
    // bf16 of values in [-1, 1]: 0x3f80 = 1.0; vary mantissa and sign.
    for (let i = 0; i < v.length; i++) v[i] = (((i * 40503 + seed) & 0x7f) | 0x3f00) ^ (i & 1 ? 0x8000 : 0);
  }
}

// OpenBLAS picks its kernel by CPU model and falls back to the SSE3 "Prescott" kernel on models it
// does not know (virtual CPUs named "Intel Xeon Processor"); a fair anchor uses its kernel for our
// ISA. OPENBLAS_CORETYPE must be set before the library loads; a value set by the user wins.
const OPENBLAS_CORE_FOR_ISA: Record<string, string> = { avx512: "SkylakeX", avx2: "Haswell" };

export async function run(): Promise<Section> {
  const forced = !process.env.OPENBLAS_CORETYPE && OPENBLAS_CORE_FOR_ISA[isa()];
  if (forced) process.env.OPENBLAS_CORETYPE = forced;
  const blas = openblasStatus();
  const core = openblasCore();
  const before = numThreads();
  const rows: Section["rows"] = [];
  try {
    for (const [M, N, K, label] of SHAPES) {
      const A = new NativeBuffer(M * K);
      const B = new NativeBuffer(K * N);
      const Ah = new NativeBuffer(M * K, "bf16");
      const Bh = new NativeBuffer(K * N, "bf16");
      const C = new NativeBuffer(M * N);
      const withF16 = label === F16_SHAPE;
      const Af = new NativeBuffer(withF16 ? M * K : 1, "f16");
      const Bf = new NativeBuffer(withF16 ? K * N : 1, "f16");
      try {
        fill(A, 1);
        fill(B, 2);
        fill(Ah, 3);
        fill(Bh, 4);
        fill(Af, 5);
        fill(Bf, 6);
        const gflop = (2 * M * N * K) / 1e9;
        const secs = gflop > 20 ? 2 : gflop < 0.1 ? 0.3 : 1;
        for (const threads of [1, 2]) {
          setNumThreads(threads);
          const ours =
            gflop /
            bestTime(() => gemm(false, false, M, N, K, 1, A.address, K, B.address, N, 0, C.address, N), secs);
          const bf16 =
            gflop /
            bestTime(
              () => gemmBf16(false, false, M, N, K, 1, Ah.address, K, Bh.address, N, 0, C.address, N),
              secs,
            );
          const f16 = withF16
            ? gflop /
              bestTime(
                () => gemmF16(false, false, M, N, K, 1, Af.address, K, Bf.address, N, 0, C.address, N),
                secs,
              )
            : Number.NaN;
          const ob =
            blas === ""
              ? gflop /
                bestTime(
                  () =>
                    openblasGemm(
                      false,
                      false,
                      M,
                      N,
                      K,
                      1,
                      A.address,
                      K,
                      B.address,
                      N,
                      0,
                      C.address,
                      N,
                      threads,
                    ),
                  secs,
                )
              : Number.NaN;
          rows.push({
            "M×N×K": `${M}×${N}×${K}`,
            shape: label,
            threads,
            "ours fp32": ours,
            OpenBLAS: ob,
            "ratio fp32/OpenBLAS": ours / ob,
            goal: M === 1 ? "-" : threads === 1 ? "≥ 0.95" : "≥ 0.90",
            "ours bf16": bf16,
            "ratio bf16/fp32": bf16 / ours,
            "ours f16": f16,
            "ratio f16/fp32": f16 / ours,
          });
        }
      } finally {
        for (const b of [A, B, Ah, Bh, Af, Bf, C]) b.free();
      }
    }
  } finally {
    setNumThreads(before);
  }
  return {
    title: "GEMM GFLOP/s (row-major NN, best of several calls)",
    anchor:
      blas === ""
        ? `OpenBLAS cblas_sgemm (libopenblas.so.0, dlopen, kernel ${core}${forced ? " via OPENBLAS_CORETYPE" : ""}) in the same run, same threads`
        : `OpenBLAS unavailable: ${blas}`,
    columns: [
      "M×N×K",
      "shape",
      "threads",
      "ours fp32",
      "OpenBLAS",
      "ratio fp32/OpenBLAS",
      "goal",
      "ours bf16",
      "ratio bf16/fp32",
      "ours f16",
      "ratio f16/fp32",
    ],
    rows,
    notes: [
      `bf16 path: ${gemmBf16Path()} (timed per core: vdpbf16ps doubles the FMA rate on AMD Zen 4 and issues at half rate on Intel cores with two FMA units, where widening to fp32 is faster)`,
      "bf16 goal: ratio bf16/fp32 ≥ 1.6",
      `f16: ${F16_SHAPE} shape only (others NaN); widened to fp32 while packing (vcvtph2ps), expected ratio f16/fp32 ≈ 1`,
      "perf-anchors.md machine (AMD Zen 4): peak 117 GFLOP/s fp32 per core, 235 bf16; OpenBLAS 99-103 on 1 thread",
    ],
  };
}
