// The measurements of `pnpm bench:gpu` that touch our kernels, each run by the bench runner in a
// child process of its own (so a crash, a hang or an exhausted device loses one row, and each
// training run starts with the device's memory empty): GEMM TFLOP/s on the device, and the real
// Trainer's tokens/s at one training shape. Both print one line `RESULT {json}`.
import { loadCuda } from "../../packages/kernels/src/index";
import { Monitor } from "../../packages/monitor/src/index";
import { cast, type Device, gemm, setDefaultDevice, Tensor } from "../../packages/tensor/src/index";
import { median, RandomTokens, RecordingSink } from "../../packages/trainer/bench/harness";
import { Trainer } from "../../packages/trainer/src/index";
import { benchConfig, type GemmShape, type TrainShape, VOCAB, WARMUP } from "./bench-shapes";

export interface GemmResult {
  name: string;
  M: number;
  N: number;
  K: number;
  /** TFLOP/s (2·M·N·K per product), or the error that stopped the measurement. */
  bf16: number | string;
  fp32: number | string;
}

/** n seeded values in [-1, 1) (Numerical Recipes' LCG): random data, as cuBLAS is quoted on. */
function randomArray(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** Seconds per call of `fn`: 2 warm-ups, then as many calls as fill ~0.2 s, between synchronisations. */
function timeCalls(fn: () => void, synchronize: () => void): number {
  for (let i = 0; i < 2; i++) fn();
  synchronize();
  let t0 = performance.now();
  fn();
  synchronize();
  const once = Math.max((performance.now() - t0) / 1000, 1e-6);
  const reps = Math.max(1, Math.min(200, Math.floor(0.2 / once)));
  t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  synchronize();
  return (performance.now() - t0) / 1000 / reps;
}

/** C(M,N) = A(M,K)·B(K,N), row-major, fp32 C, in bf16 (fp32 accumulation) and in fp32. */
export function measureGemms(device: Device, shapes: readonly GemmShape[]): GemmResult[] {
  const out: GemmResult[] = [];
  for (const s of shapes) {
    const row: GemmResult = { ...s, bf16: "not run", fp32: "not run" };
    const a = Tensor.fromArray(randomArray(s.M * s.K, 1), [s.M, s.K], { device });
    const b = Tensor.fromArray(randomArray(s.K * s.N, 2), [s.K, s.N], { device });
    const c = Tensor.empty([s.M, s.N], { device });
    const flops = 2 * s.M * s.N * s.K;
    const sync = () => a.backend.synchronize();
    for (const dtype of ["bf16", "fp32"] as const) {
      try {
        const [x, y] = dtype === "bf16" ? [cast(a, "bf16"), cast(b, "bf16")] : [a, b];
        const seconds = timeCalls(
          () => gemm(false, false, s.M, s.N, s.K, 1, x, s.K, y, s.N, 0, c, s.N),
          sync,
        );
        row[dtype] = flops / seconds / 1e12;
        if (x !== a) x.dispose();
        if (y !== b) y.dispose();
      } catch (e) {
        row[dtype] = e instanceof Error ? e.message : String(e);
      }
    }
    for (const t of [a, b, c]) t.dispose();
    out.push(row);
  }
  return out;
}

export interface TrainResult {
  name: string;
  micro: number;
  iterations: number;
  /** Median of the logged runtime/tokens_per_sec after the WARMUP iterations. */
  tokens_per_sec: number;
  logged_tokens_per_sec: number[];
  first_loss: number;
  last_loss: number;
  /** The device's caching allocator's peak (cuda), or null on the CPU. */
  peak_bytes: number | null;
  seconds: number;
}

/**
 * The real Trainer at one shape for WARMUP + steps iterations on `device`, stopping early (after at
 * least one timed iteration) once `budgetSeconds` have passed since the run began.
 */
export async function measureTraining(
  root: string,
  device: Device,
  shape: TrainShape,
  micro: number,
  steps: number,
  budgetSeconds: number,
): Promise<TrainResult> {
  setDefaultDevice(device);
  const t0 = performance.now();
  const iters = WARMUP + steps;
  const r = benchConfig(root, shape, micro, iters);
  const seq = r.values.seq_length as number;
  const data = new RandomTokens(iters * micro, seq, VOCAB, 42);
  const sink = new RecordingSink();
  let trainer: Trainer | null = null;
  trainer = new Trainer(r, { train: data, valid: null, test: null, eod: null }, new Monitor([sink]), {
    shouldStop: () => trainer!.iteration > WARMUP && (performance.now() - t0) / 1000 > budgetSeconds,
  });
  try {
    const out = await trainer.run();
    const timed = sink.tokensPerSec.slice(WARMUP);
    if (timed.length === 0) throw new Error(`${shape.name}: no timed iteration (ran ${out.iteration})`);
    const peak = device === "cpu" ? null : loadCuda().native.gpuAllocStats(0).peakAllocatedBytes;
    return {
      name: shape.name,
      micro,
      iterations: out.iteration,
      tokens_per_sec: median(timed),
      logged_tokens_per_sec: sink.tokensPerSec,
      first_loss: sink.losses[0]!,
      last_loss: sink.losses.at(-1)!,
      peak_bytes: peak,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    trainer.dispose();
  }
}
