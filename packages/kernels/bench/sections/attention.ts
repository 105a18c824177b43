// Fused causal attention forward + backward throughput at T = 512 and 2048, head size 64 and 128
// (d_model 512: NH = 512 / HS), on 1 and 2 threads, beside our fp32 GEMM at 1024³ in the same run
// with the same threads. FLOPs by the FlashAttention convention: forward 4·B·NH·T²·HS halved for
// causal, backward 2.5× forward. Goal (issue): fwd+bwd ≥ 0.60× the GEMM rate. Best of several calls.
// B = 1, except one row at Pythia-70M's training shape (B 4, T 512, NH 8, HS 64), whose calls
// also report milliseconds, the unit of the trainer's per-kernel profile.
// Besides wall time, each call's process CPU time gives a per-core rate that time-slicing on a
// shared machine does not distort; the bf16 column is the bf16-storage path (fp32 arithmetic).
// One shape also runs with attention dropout p = 0.1 (the mask hashed per element in the forward
// and again in the backward): its rate by the same FLOP count, and its time relative to p = 0.
import {
  type AttentionDropout,
  attentionBackward,
  attentionBackwardBf16,
  attentionForward,
  attentionForwardBf16,
  type Dtype,
  gemm,
  NativeBuffer,
  numThreads,
  setNumThreads,
} from "../../src/index";
import type { Section } from "../kernels";

const SHAPES: [T: number, HS: number, B: number][] = [
  [512, 64, 1],
  [512, 64, 4],
  [512, 128, 1],
  [2048, 64, 1],
  [2048, 128, 1],
];
const D_MODEL = 512;
/** The shape that also runs with dropout, and its dropout. */
const DROPOUT_SHAPE: [T: number, HS: number] = [2048, 64];
const DROPOUT: AttentionDropout = { p: 0.1, seed: 1234, offset: 0 };

interface Timing {
  /** Best wall seconds per call. */
  wall: number;
  /** Best process CPU seconds per call (all threads). */
  cpu: number;
}

/** One warm-up, then calls until `minSeconds` have passed (at least `minReps`); best of each. */
function bestTime(fn: () => void, minSeconds = 1, minReps = 3): Timing {
  fn();
  const best = { wall: Number.POSITIVE_INFINITY, cpu: Number.POSITIVE_INFINITY };
  const start = performance.now();
  for (let rep = 0; rep < minReps || performance.now() - start < minSeconds * 1000; rep++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    best.wall = Math.min(best.wall, (performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    best.cpu = Math.min(best.cpu, (c.user + c.system) / 1e6);
    if (rep > 50) break;
  }
  return best;
}

function filled(n: number, seed: number, dtype: Dtype = "f32"): NativeBuffer {
  const b = new NativeBuffer(n, dtype);
  if (dtype === "f32") {
    const v = b.f32();
    for (let i = 0; i < n; i++) v[i] = ((((i * 2654435761 + seed) >>> 0) % 2001) - 1000) / 1000;
  } else {
    const v = b.u16();
    // bf16 of values in [-1, 1]: vary mantissa and sign below 1.0 (0x3f80).
    for (let i = 0; i < n; i++) v[i] = (((i * 40503 + seed) & 0x7f) | 0x3f00) ^ (i & 1 ? 0x8000 : 0);
  }
  return b;
}

/** GFLOP/s by wall time, and per core by process CPU time. */
interface Rate {
  wall: number;
  perCore: number;
}

function gemmRate(): Rate {
  const n = 1024;
  const [a, b, c] = [filled(n * n, 1), filled(n * n, 2), filled(n * n, 3)];
  try {
    const t = bestTime(() => gemm(false, false, n, n, n, 1, a.address, n, b.address, n, 0, c.address, n));
    const gflop = (2 * n ** 3) / 1e9;
    return { wall: gflop / t.wall, perCore: gflop / t.cpu };
  } finally {
    for (const x of [a, b, c]) x.free();
  }
}

function attentionRates(
  T: number,
  HS: number,
  B: number,
  dtype: Dtype,
  drop?: AttentionDropout,
): { fwd: number; bwd: number; both: Rate; fwdMs: number; bwdMs: number } {
  const NH = D_MODEL / HS;
  const n = B * T * NH * HS;
  const bufs = [1, 2, 3, 4, 5, 6, 7, 8].map((s) => filled(n, s, dtype));
  const [q, k, v, out, dout, dq, dk, dv] = bufs.map((b) => b.address) as number[];
  const lse = new NativeBuffer(B * NH * T);
  const fwdFn = dtype === "bf16" ? attentionForwardBf16 : attentionForward;
  const bwdFn = dtype === "bf16" ? attentionBackwardBf16 : attentionBackward;
  try {
    const shape = { B, Tq: T, NH, HS };
    const tf = bestTime(() => fwdFn(out!, lse.address, q!, k!, v!, 0, shape, drop));
    const tb = bestTime(() => bwdFn(dq!, dk!, dv!, dout!, q!, k!, v!, out!, lse.address, 0, shape, drop));
    const flopsFwd = (4 * B * NH * T * T * HS) / 2 / 1e9;
    return {
      fwd: flopsFwd / tf.wall,
      bwd: (2.5 * flopsFwd) / tb.wall,
      both: { wall: (3.5 * flopsFwd) / (tf.wall + tb.wall), perCore: (3.5 * flopsFwd) / (tf.cpu + tb.cpu) },
      fwdMs: tf.wall * 1e3,
      bwdMs: tb.wall * 1e3,
    };
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
      for (const [T, HS, B] of SHAPES) {
        const r = attentionRates(T, HS, B, "f32");
        const h = attentionRates(T, HS, B, "bf16");
        const withDropout = T === DROPOUT_SHAPE[0] && HS === DROPOUT_SHAPE[1];
        const d = withDropout ? attentionRates(T, HS, B, "f32", DROPOUT) : null;
        rows.push({
          B: String(B),
          T: String(T),
          HS: String(HS),
          NH: String(D_MODEL / HS),
          threads: String(threads),
          "fwd GFLOP/s": r.fwd,
          "bwd GFLOP/s": r.bwd,
          "fwd ms": r.fwdMs,
          "bwd ms": r.bwdMs,
          "fwd+bwd GFLOP/s": r.both.wall,
          "GEMM 1024³": g.wall,
          "ratio fwd+bwd/GEMM": r.both.wall / g.wall,
          goal: "≥ 0.60",
          "per core: attn": r.both.perCore,
          "per core: GEMM": g.perCore,
          "per core ratio": r.both.perCore / g.perCore,
          "bf16 fwd+bwd": h.both.wall,
          "bf16 per core": h.both.perCore,
          ...(d
            ? {
                "p=0.1 fwd+bwd": d.both.wall,
                "p=0.1 time ×": r.both.wall / d.both.wall,
                "p=0.1 per-core time ×": r.both.perCore / d.both.perCore,
              }
            : {}),
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
      "B",
      "T",
      "HS",
      "NH",
      "threads",
      "fwd GFLOP/s",
      "bwd GFLOP/s",
      "fwd ms",
      "bwd ms",
      "fwd+bwd GFLOP/s",
      "GEMM 1024³",
      "ratio fwd+bwd/GEMM",
      "goal",
      "per core: attn",
      "per core: GEMM",
      "per core ratio",
      "bf16 fwd+bwd",
      "bf16 per core",
      "p=0.1 fwd+bwd",
      "p=0.1 time ×",
      "p=0.1 per-core time ×",
    ],
    rows,
    notes: [
      `d_model ${D_MODEL}, no GQA/window/ALiBi; machine peak 117 GFLOP/s fp32 per core`,
      "B 4 at T 512, HS 64 is Pythia-70M's training shape (ms: best wall time per call)",
      "per core = FLOPs / process CPU seconds (robust to time-slicing on a shared machine)",
      "bf16: bf16 storage of q/k/v/out and gradients, fp32 arithmetic (wall, and per core by CPU time)",
      `p=0.1: fp32 with attention dropout p ${DROPOUT.p} at T ${DROPOUT_SHAPE[0]}, HS ${DROPOUT_SHAPE[1]}; time × = fwd+bwd time with dropout / without (wall, and by CPU time)`,
    ],
  };
}
