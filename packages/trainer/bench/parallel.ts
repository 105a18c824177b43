// Data-parallel training throughput on this machine: the 4-layer d256 shape (seq 256, micro-batch 8,
// fp32, Pythia's layout) trained by 2 ranks × 1 thread under mpirun against 1 rank × 2 threads, the
// same cores either way. Goal: 2 ranks reach ≥ 0.85× the tokens/s of 1 rank.
//
//   pnpm bench:parallel                                   (after the all-reduce bench)
//   pnpm --filter @neox/trainer bench:parallel
//   NEOX_BENCH_STEPS=10 NEOX_BENCH_REPS=3 pnpm --filter @neox/trainer bench:parallel
//
// Every run trains the real Trainer on random tokens for 2 warm-up + STEPS iterations, a log line
// each; tokens/s is the median of the timed iterations' runtime/tokens_per_sec (global tokens: a
// 2-rank iteration trains twice the tokens of a 1-rank one). "comm wait" is the share of the timed
// iterations' wall time a rank spent blocked on collectives (Trainer.commWaitMs: what the backward
// did not hide, plus waiting for the slower rank), the larger of the two ranks'; peak RSS each rank's
// VmHWM, as a range over the ranks (ZeRO's saving: Adam's moments halved at 1, the gradient too at 2). The 2-rank runs:
// ZeRO stage 0 with buckets of 2^22 elements reduced during the backward (overlap_comm) and after
// it, ZeRO 1 and ZeRO 2 with overlap. Each configuration runs REPS times; the median rep is shown.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { METRIC, type MetricSink, Monitor } from "@neox/monitor";
import { setNumThreads } from "@neox/tensor";
import { DataParallel, Trainer } from "../src/index";
import { median, peakRssBytes, RandomTokens } from "./harness";
import { cpuModel } from "./machine";
import { benchConfig, SHAPES, VOCAB, WARMUP } from "./shapes";

const SHAPE = SHAPES.find((s) => s.name === "4L-d256-s256")!;
const STEPS = Number(process.env.NEOX_BENCH_STEPS ?? 6);
const REPS = Number(process.env.NEOX_BENCH_REPS ?? 2);
const BUCKET = 1 << 22;

interface Run {
  label: string;
  ranks: number;
  threads: number;
  zero: Record<string, unknown>;
}

const RUNS: Run[] = [
  { label: "1 rank × 2 threads", ranks: 1, threads: 2, zero: { stage: 0 } },
  {
    label: "2 ranks × 1 thread, ZeRO 0, overlap",
    ranks: 2,
    threads: 1,
    zero: { stage: 0, overlap_comm: true, reduce_bucket_size: BUCKET },
  },
  {
    label: "2 ranks × 1 thread, ZeRO 0, after backward",
    ranks: 2,
    threads: 1,
    zero: { stage: 0, overlap_comm: false, reduce_bucket_size: BUCKET },
  },
  {
    label: "2 ranks × 1 thread, ZeRO 1, overlap",
    ranks: 2,
    threads: 1,
    zero: { stage: 1, overlap_comm: true, reduce_bucket_size: BUCKET },
  },
  {
    label: "2 ranks × 1 thread, ZeRO 2, overlap",
    ranks: 2,
    threads: 1,
    zero: { stage: 2, overlap_comm: true, reduce_bucket_size: BUCKET },
  },
];

interface RankResult {
  rank: number;
  tokensPerSec: number;
  waitShare: number;
  lastLoss: number;
  /** The process's peak resident set (VmHWM), bytes. */
  peakRss: number;
}

/** Per logged iteration: tokens/s, the wall clock and the trainer's blocked-on-comm total. */
class Sink implements MetricSink {
  trainer: Trainer | null = null;
  readonly rows: { tps: number; t: number; waited: number; loss: number }[] = [];
  log(_iteration: number, m: Readonly<Record<string, number>>): void {
    const tps = m[METRIC.tokensPerSec];
    if (tps === undefined) return;
    this.rows.push({ tps, t: performance.now(), waited: this.trainer!.commWaitMs, loss: m[METRIC.lmLoss]! });
  }
  flush(): void {}
  close(): void {}
}

async function worker(run: Run): Promise<void> {
  setNumThreads(run.threads);
  const iters = WARMUP + STEPS;
  const r = benchConfig(SHAPE, "fp32", iters, { num_gpus: run.ranks, zero_optimization: run.zero });
  const dp = run.ranks > 1 ? DataParallel.fromEnv() : null;
  if (run.ranks > 1 && !dp) throw new Error("bench:parallel: the worker was not started by mpirun");
  const rank = dp?.rank ?? 0;
  const data = new RandomTokens(iters * SHAPE.batch * run.ranks, SHAPE.seq, VOCAB, 42);
  const sink = new Sink();
  const trainer = new Trainer(r, { train: data, valid: null, test: null, eod: null }, new Monitor([sink]), {
    dataParallel: dp,
  });
  sink.trainer = trainer;
  await trainer.run();
  const timed = sink.rows.slice(WARMUP - 1); // from the end of the last warm-up
  const first = timed[0]!;
  const last = timed.at(-1)!;
  const result: RankResult = {
    rank,
    tokensPerSec: median(timed.slice(1).map((x) => x.tps)),
    waitShare: (last.waited - first.waited) / (last.t - first.t),
    lastLoss: last.loss,
    peakRss: peakRssBytes() ?? 0,
  };
  trainer.dispose();
  console.log(`RESULT ${JSON.stringify(result)}`);
  if (dp) {
    await dp.barrier();
    dp.group.finalize();
  }
}

/** The ranks' peak RSS in MiB: one figure, or the smallest and largest rank's. */
function rssRange(bytes: number[]): string {
  const [lo, hi] = [Math.min(...bytes), Math.max(...bytes)].map((b) => (b / 2 ** 20).toFixed(0));
  return lo === hi ? `${hi} MiB` : `${lo}-${hi} MiB`;
}

function launch(run: Run): RankResult[] {
  const self = fileURLToPath(import.meta.url);
  const node = [
    process.execPath,
    "--conditions=@neox/source",
    "--import",
    "tsx",
    self,
    "--worker",
    run.label,
  ];
  const env = { ...process.env, NEOX_NUM_THREADS: String(run.threads) };
  const mpi = ["--bind-to", "none", "--oversubscribe", "-np", String(run.ranks)];
  if (process.getuid?.() === 0) mpi.unshift("--allow-run-as-root");
  const [cmd, ...args] = run.ranks > 1 ? ["mpirun", ...mpi, ...node] : node;
  const r = spawnSync(cmd!, args, { env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`bench:parallel: could not start ${cmd} (${r.error.message})`);
  if (r.status !== 0)
    throw new Error(`bench:parallel: ${run.label} exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  const out = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("RESULT "))
    .map((l) => JSON.parse(l.slice(7)) as RankResult);
  if (out.length !== run.ranks) throw new Error(`bench:parallel: ${run.label}: ${out.length} results`);
  return out;
}

const workerAt = process.argv.indexOf("--worker");
if (workerAt >= 0) {
  const label = process.argv[workerAt + 1];
  const run = RUNS.find((x) => x.label === label);
  if (!run) throw new Error(`bench:parallel: no run "${label}"`);
  await worker(run);
} else {
  console.log(
    `data-parallel training, ${SHAPE.name} fp32 (micro-batch ${SHAPE.batch} per rank), ${STEPS} timed steps, median of ${REPS} reps; ${cpuModel()}`,
  );
  const table: string[][] = [
    ["run", "tokens/s", "vs 1 rank", "comm wait", "peak RSS/rank", "reps (tokens/s)"],
  ];
  let base = 0;
  for (const run of RUNS) {
    const reps = Array.from({ length: REPS }, () => launch(run));
    const tps = reps.map((rs) => rs.find((x) => x.rank === 0)!.tokensPerSec);
    const mid = median(tps);
    const at = reps[tps.indexOf(tps.reduce((a, b) => (Math.abs(b - mid) < Math.abs(a - mid) ? b : a)))]!;
    const wait = Math.max(...at.map((x) => x.waitShare));
    if (run.ranks === 1) base = mid;
    table.push([
      run.label,
      mid.toFixed(0),
      run.ranks === 1 ? "1.00×" : `${(mid / base).toFixed(2)}×`,
      run.ranks === 1 ? "-" : `${(wait * 100).toFixed(1)}%`,
      rssRange(at.map((x) => x.peakRss)),
      tps.map((x) => x.toFixed(0)).join(", "),
    ]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const row of table) console.log(row.map((x, c) => x.padEnd(widths[c]!)).join("  "));
  console.log("goal: 2 ranks × 1 thread ≥ 0.85× 1 rank × 2 threads");
}
