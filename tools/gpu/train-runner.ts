// The GPU machine's training check, under plain Node (pack-node.sh bundles it, device-check.sh
// runs the bundle): the real Trainer on a tiny GPT-NeoX config (train-config.ts) for 50 iterations
// on the CPU and on cuda:0, in fp32 and bf16, loss curves compared within a relative tolerance
// (fp32 1e-4, bf16 2e-2: the GPU sums in another order and rounds bf16 GEMM inputs the same way but
// accumulates them differently); then on cuda:0, 20 iterations straight against 10 + save + load
// + 10, which must agree bit for bit (losses and final weights).
//
//   node train-runner.mjs [REPORT.json] [--cpu-only] [--iters 50]
//
// --cpu-only runs the "GPU" side on the CPU too (a check of this script on a machine without a
// GPU: the curves must then be equal and the resume bit-exact). Prints a line per phase and one
// line `REPORT {json}`; writes the same JSON to REPORT.json. Exit status 1 when a check fails.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCuda } from "../../packages/kernels/src/index";
import { Monitor } from "../../packages/monitor/src/index";
import { type Device, setDefaultDevice } from "../../packages/tensor/src/index";
import { Trainer } from "../../packages/trainer/src/index";
import { PatternTokens, type Precision, tinyConfig } from "./train-config";

const TOLERANCE: Record<Precision, number> = { fp32: 1e-4, bf16: 2e-2 };

interface Curve {
  losses: number[];
  weights: Float32Array;
  seconds: number;
}

/** Trains `iters` iterations on `device` (the default device while the Trainer is built and runs). */
async function train(device: Device, precision: Precision, iters: number, extra = {}): Promise<Curve> {
  const prev = setDefaultDevice(device);
  const t0 = performance.now();
  const data = new PatternTokens(iters * 8);
  const trainer = new Trainer(
    tinyConfig(precision, iters, extra),
    { train: data, valid: null, test: null, eod: null },
    new Monitor([]),
  );
  try {
    trainer.resume();
    const result = await trainer.run();
    const weights = trainer.model.registry.flat.data.toFloat32Array();
    return { losses: result.losses, weights, seconds: (performance.now() - t0) / 1000 };
  } finally {
    trainer.dispose();
    setDefaultDevice(prev);
  }
}

/** max_i |got_i - want_i| / |want_i| over two equally long curves; Infinity when lengths differ or a value is not finite. */
function maxRelativeDiff(got: readonly number[], want: readonly number[]): number {
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), 1e-12);
    worst = Math.max(worst, Number.isFinite(d) ? d : Number.POSITIVE_INFINITY);
  }
  return worst;
}

/** Equal bytes: float32 weights, or float64 losses (where toEqual would call -0 and 0 equal). */
const sameBits = (a: Float32Array | Float64Array, b: Float32Array | Float64Array) =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) === 0;
const sameLosses = (a: readonly number[], b: readonly number[]) =>
  sameBits(Float64Array.from(a), Float64Array.from(b));

interface Phase {
  name: string;
  ok: boolean;
  detail: Record<string, unknown>;
  error?: string;
}

async function phase(name: string, fn: () => Promise<Omit<Phase, "name" | "error">>): Promise<Phase> {
  let p: Phase;
  const t0 = performance.now();
  try {
    p = { name, ...(await fn()) };
  } catch (e) {
    p = { name, ok: false, detail: {}, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  const what = p.error ?? JSON.stringify(p.detail, (_k, v) => (Array.isArray(v) ? undefined : v));
  console.log(`${p.ok ? "PASS" : "FAIL"} ${name} (${s} s): ${what}`);
  return p;
}

/** The cpu run and the gpu run of one precision, compared within its tolerance. */
function parity(gpu: Device, precision: Precision, iters: number) {
  return phase(`${precision}: ${iters} iterations, cpu vs ${gpu}`, async () => {
    const cpu = await train("cpu", precision, iters);
    const dev = await train(gpu, precision, iters);
    const rel = maxRelativeDiff(dev.losses, cpu.losses);
    const fell = cpu.losses[cpu.losses.length - 1]! < cpu.losses[0]! - 1;
    return {
      ok: rel <= TOLERANCE[precision] && fell && dev.losses.length === iters,
      detail: {
        max_relative_diff: rel,
        tolerance: TOLERANCE[precision],
        loss_fell_by_more_than_1: fell,
        first_loss: { cpu: cpu.losses[0], gpu: dev.losses[0] },
        last_loss: { cpu: cpu.losses.at(-1), gpu: dev.losses.at(-1) },
        seconds: { cpu: cpu.seconds, gpu: dev.seconds },
        losses_cpu: cpu.losses,
        losses_gpu: dev.losses,
      },
    };
  });
}

/** 20 iterations straight against 10, save (exit_interval), then load and 10 more, on `gpu`. */
function resume(gpu: Device, precision: Precision) {
  return phase(`${precision}: resume on ${gpu}, 20 straight vs 10 + save + load + 10`, async () => {
    const root = mkdtempSync(join(tmpdir(), "neox-gpu-resume-"));
    try {
      const straight = await train(gpu, precision, 20);
      const dir = join(root, "ckpt");
      const first = await train(gpu, precision, 20, {
        save: dir,
        load: dir,
        checkpoint_factor: 10,
        exit_interval: 10,
      });
      const second = await train(gpu, precision, 20, { save: dir, load: dir, checkpoint_factor: 10 });
      const losses = [...first.losses, ...second.losses];
      const lossesEqual = sameLosses(losses, straight.losses);
      const weightsEqual = sameBits(second.weights, straight.weights);
      return {
        ok: first.losses.length === 10 && second.losses.length === 10 && lossesEqual && weightsEqual,
        detail: {
          iterations: { first: first.losses.length, second: second.losses.length },
          losses_bit_exact: lossesEqual,
          weights_bit_exact: weightsEqual,
          max_relative_diff: maxRelativeDiff(losses, straight.losses),
          losses_straight: straight.losses,
          losses_resumed: losses,
        },
      };
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const cpuOnly = process.argv.includes("--cpu-only");
  const iters = Number(arg("--iters") ?? 50);
  if (!Number.isSafeInteger(iters) || iters < 2)
    throw new Error(`train-runner: --iters must be ≥ 2, got ${iters}`);
  const positional = process.argv
    .slice(2)
    .filter((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--iters");
  const reportPath = positional[0] ?? defaultReport("gpu-train.json");
  let device: unknown = "cpu";
  if (!cpuOnly) {
    const cuda = loadCuda();
    device = cuda.devices[0] ?? "no CUDA device";
    console.log(
      `CUDA: ${cuda.library} ABI ${cuda.abiVersion}, ${cuda.devices.map((d) => d.name).join(", ")}`,
    );
  }
  const gpu: Device = cpuOnly ? "cpu" : "cuda:0";
  const phases: Phase[] = [];
  // Rewritten after every phase: a crash in native code keeps what ran before it.
  const save = () => {
    const failed = phases.filter((p) => !p.ok).map((p) => p.name);
    const report = { device, cpu_only: cpuOnly, iterations: iters, phases, failed };
    writeFileSync(reportPath, `${JSON.stringify(report, null, 1)}\n`);
    return failed;
  };
  for (const precision of ["fp32", "bf16"] as const) {
    phases.push(await parity(gpu, precision, iters));
    save();
  }
  for (const precision of ["fp32", "bf16"] as const) {
    phases.push(await resume(gpu, precision));
    save();
  }
  const failed = save();
  const brief = phases.map((p) => ({
    name: p.name,
    ok: p.ok,
    max_relative_diff: p.detail.max_relative_diff ?? null,
    error: p.error?.split("\n")[0],
  }));
  console.log(
    `REPORT ${JSON.stringify({ device, cpu_only: cpuOnly, phases: brief, failed: failed.length })}`,
  );
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`train-runner: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  },
);

/** Where a report goes without a path given: bench-results/ (ignored by git), as the other benches'. */
function defaultReport(name: string): string {
  const dir = join(import.meta.dirname ?? ".", "..", "..", "bench-results");
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
