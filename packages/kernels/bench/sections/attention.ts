// Fused causal attention forward + backward throughput at T = 512 and 2048, head size 64 and 128
// (d_model 512: NH = 512 / HS), on 1 and 2 threads, beside our fp32 GEMM at 1024³ in the same run
// with the same threads. FLOPs by the FlashAttention convention: forward 4·B·NH·T²·HS halved for
// causal, backward 2.5× forward. Goal (issue): fwd+bwd ≥ 0.60× the GEMM rate. Best of several calls.
import {
  attentionBackward,
  attentionForward,
  gemm,
  NativeBuffer,
  numThreads,
  setNumThreads,
} from "../../src/index";
import type { Section } from "../kernels";

const SHAPES: [T: number, HS: number][] = [
  [512, 64],
  [512, 128],
  [2048, 64],
  [2048, 128],
];
const D_MODEL = 512;
const B = 1;

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

function filled(n: number, seed: number): NativeBuffer {
  const b = new NativeBuffer(n);
  const v = b.f32();
  for (let i = 0; i < n; i++) v[i] = ((((i * 2654435761 + seed) >>> 0) % 2001) - 1000) / 1000;
  return b;
}

function gemmRate(): number {
  const n = 1024;
  const [a, b, c] = [filled(n * n, 1), filled(n * n, 2), filled(n * n, 3)];
  try {
    return (
      (2 * n ** 3) /
      1e9 /
      bestTime(() => gemm(false, false, n, n, n, 1, a.address, n, b.address, n, 0, c.address, n))
    );
  } finally {
    for (const x of [a, b, c]) x.free();
  }
}

function attentionRates(T: number, HS: number): { fwd: number; bwd: number; both: number } {
  const NH = D_MODEL / HS;
  const n = B * T * NH * HS;
  const bufs = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => filled(n, s));
  const [q, k, v, out, dout, dq, dk, dv] = bufs as [NativeBuffer, ...NativeBuffer[]] as NativeBuffer[];
  const lse = new NativeBuffer(B * NH * T);
  try {
    const shape = { B, Tq: T, NH, HS };
    const fwd = () =>
      attentionForward(out!.address, lse.address, q!.address, k!.address, v!.address, 0, shape);
    const bwd = () =>
      attentionBackward(
        dq!.address,
        dk!.address,
        dv!.address,
        dout!.address,
        q!.address,
        k!.address,
        v!.address,
        out!.address,
        lse.address,
        0,
        shape,
      );
    const flopsFwd = (4 * B * NH * T * T * HS) / 2 / 1e9;
    const tf = bestTime(fwd);
    const tb = bestTime(bwd);
    return { fwd: flopsFwd / tf, bwd: (2.5 * flopsFwd) / tb, both: (3.5 * flopsFwd) / (tf + tb) };
  } finally {
    for (const x of [...bufs, lse]) x.free();
  }
}

export async function run(): Promise<Section> {
  const before = numThreads();
  const rows: Section["rows"] = [];
  try {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const g = gemmRate();
      for (const [T, HS] of SHAPES) {
        const r = attentionRates(T, HS);
        rows.push({
          T: String(T),
          HS: String(HS),
          NH: String(D_MODEL / HS),
          threads: String(threads),
          "fwd GFLOP/s": r.fwd,
          "bwd GFLOP/s": r.bwd,
          "fwd+bwd GFLOP/s": r.both,
          "GEMM 1024³": g,
          "ratio fwd+bwd/GEMM": r.both / g,
          goal: "≥ 0.60",
        });
      }
    }
  } finally {
    setNumThreads(before);
  }
  return {
    title: "Fused causal attention fp32, GFLOP/s (FlashAttention count: fwd 4·B·NH·T²·HS/2, bwd 2.5× fwd)",
    anchor: "our fp32 GEMM (sgemm) at 1024³ in the same run, same threads",
    columns: [
      "T",
      "HS",
      "NH",
      "threads",
      "fwd GFLOP/s",
      "bwd GFLOP/s",
      "fwd+bwd GFLOP/s",
      "GEMM 1024³",
      "ratio fwd+bwd/GEMM",
      "goal",
    ],
    rows,
    notes: [`B = ${B}, d_model ${D_MODEL}, no GQA/window/ALiBi; machine peak 117 GFLOP/s fp32 per core`],
  };
}
