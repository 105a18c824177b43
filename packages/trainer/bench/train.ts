// `pnpm bench:train`: the Trainer's throughput (runtime/tokens_per_sec as `neox train` logs it, the
// median after two warm-up iterations) at the training issue's shapes, on 2 threads, beside PyTorch
// 1.13 on the same shape and step in the same run, with MFU against the FMA peak measured in the same
// run and peak RSS against the `neox train --dry-run` estimate. Each run is its own process
// (bench/run-one.ts), so its peak RSS is its own. Prints a table and merges into
// bench-results/train.json.
// Env: NEOX_BENCH_STEPS (timed iterations, default 5), NEOX_BENCH_TORCH=0 to skip PyTorch,
// NEOX_BENCH_SHAPES=4L-d256-s256,pythia-70m to pick shapes, NEOX_BENCH_PROFILE=1 for time per kernel.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { benchTorch, cpuModel, measurePeaks, type Peaks, torchMissing } from "./machine";
import type { RunResult } from "./run-one";
import { type BenchShape, type Goal, type Precision, ROOT, SHAPES, WARMUP } from "./shapes";

const THREADS = 2;
const STEPS = Number(process.env.NEOX_BENCH_STEPS ?? 5);
const GiB = 2 ** 30;

function runOurs(shape: BenchShape, precision: Precision): RunResult {
  const out = execFileSync(
    process.execPath,
    [
      "--conditions=@neox/source",
      "--import",
      "tsx",
      join(import.meta.dirname, "run-one.ts"),
      shape.name,
      precision,
      String(STEPS),
    ],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, NEOX_NUM_THREADS: String(THREADS) },
      maxBuffer: 1 << 24,
    },
  );
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`bench/run-one.ts ${shape.name} ${precision} printed no RESULT line:\n${out}`);
  return JSON.parse(line.slice("RESULT ".length)) as RunResult;
}

interface Row {
  shape: BenchShape;
  precision: Precision;
  ours: RunResult;
  /** PyTorch with OpenMP's default wait policy (as a user runs it; the goals' baseline). */
  torch: { tokens_per_sec: number; torch: string } | null;
  /** PyTorch with OMP_WAIT_POLICY=PASSIVE, its best setting here: shown beside it. */
  torchPassive: { tokens_per_sec: number; torch: string } | null;
  /** Model FLOP/s (f = 3) over the peak of the run's precision, in %. */
  mfu: number | null;
  /** The same over the fp32 FMA peak (for bf16 rows: what the fp32 peak alone would allow). */
  mfuFp32: number;
  goal: Goal | undefined;
  met: boolean | null;
}

function evaluate(
  shape: BenchShape,
  precision: Precision,
  ours: RunResult,
  torch: Row["torch"],
  torchPassive: Row["torchPassive"],
  peak: Peaks,
): Row {
  const flopsPerSec = ours.model_flops_per_iteration / ours.seconds_per_iteration;
  const peakOf = precision === "bf16" ? peak.bf16 : peak.fp32;
  const mfu = peakOf ? (100 * flopsPerSec) / (peakOf * 1e9) : null;
  const mfuFp32 = (100 * flopsPerSec) / (peak.fp32 * 1e9);
  const goal = shape.goals[precision];
  let met: boolean | null = null;
  if (goal?.kind === "ratio" && torch) met = ours.tokens_per_sec >= goal.value * torch.tokens_per_sec;
  if (goal?.kind === "mfu" && mfu !== null) met = mfu >= goal.value;
  return { shape, precision, ours, torch, torchPassive, mfu, mfuFp32, goal, met };
}

function goalText(g: Goal | undefined): string {
  if (!g) return "-";
  return g.kind === "ratio" ? `≥ ${g.value}× PyTorch` : `≥ ${g.value}% MFU`;
}

function tableLine(r: Row): string {
  const { ours, torch, torchPassive } = r;
  const ratioTo = (t: Row["torch"]) => (t ? `${(ours.tokens_per_sec / t.tokens_per_sec).toFixed(2)}×` : "-");
  const ratio = `${ratioTo(torch)} / ${ratioTo(torchPassive)}`;
  const torchText = `${torch ? torch.tokens_per_sec.toFixed(0) : "-"} / ${torchPassive ? torchPassive.tokens_per_sec.toFixed(0) : "-"}`;
  const mfu =
    r.precision === "bf16"
      ? `${r.mfu === null ? "-" : r.mfu.toFixed(1)} (bf16 peak); ${r.mfuFp32.toFixed(1)} (fp32 peak)`
      : r.mfuFp32.toFixed(1);
  const arena = ours.arena_bytes === null ? "" : ` (step arena ${(ours.arena_bytes / GiB).toFixed(2)})`;
  const rss =
    ours.peak_rss_bytes === null
      ? "-"
      : `${(ours.peak_rss_bytes / GiB).toFixed(2)} / ${(ours.estimate_bytes / GiB).toFixed(2)} GiB = ${(ours.peak_rss_bytes / ours.estimate_bytes).toFixed(2)}×${arena}`;
  const met = r.met === null ? "-" : r.met ? "yes" : "NO";
  return `| ${r.shape.name} | ${r.precision} | ${ours.tokens_per_sec.toFixed(0)} | ${torchText} | ${ratio} | ${mfu} | ${goalText(r.goal)} | ${met} | ${rss} |`;
}

function main(): void {
  const wanted = process.env.NEOX_BENCH_SHAPES?.split(",");
  const shapes = SHAPES.filter((s) => !wanted || wanted.includes(s.name));
  const skipTorch = process.env.NEOX_BENCH_TORCH === "0" ? "NEOX_BENCH_TORCH=0" : torchMissing();
  if (skipTorch) console.log(`PyTorch skipped: ${skipTorch}`);
  const cpu = cpuModel();
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  // The peak before and after the runs, the higher kept: a busy shared core lowers a reading, never
  // raises it, so the higher one is nearer the machine's real limit (and MFU errs low).
  const peakBefore = measurePeaks(THREADS);

  const rows: Row[] = [];
  for (const shape of shapes) {
    for (const precision of ["fp32", "bf16"] as const) {
      if (!shape.goals[precision]) continue;
      const ours = runOurs(shape, precision);
      const torch = skipTorch ? null : benchTorch(shape, precision, STEPS, THREADS, "default");
      const passive = skipTorch ? null : benchTorch(shape, precision, STEPS, THREADS, "passive");
      rows.push(evaluate(shape, precision, ours, torch, passive, peakBefore));
      console.error(`done ${shape.name} ${precision}: ${ours.tokens_per_sec.toFixed(0)} tokens/s`);
    }
  }
  const peakAfter = measurePeaks(THREADS);
  const peak: Peaks = {
    fp32: Math.max(peakBefore.fp32, peakAfter.fp32),
    bf16:
      peakBefore.bf16 === null || peakAfter.bf16 === null ? null : Math.max(peakBefore.bf16, peakAfter.bf16),
    isa: peakBefore.isa,
  };
  const final = rows.map((r) => evaluate(r.shape, r.precision, r.ours, r.torch, r.torchPassive, peak));
  const loadAfter = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

  console.log(
    `\ntrain: ${cpu}, ${THREADS} threads, ${peak.isa}; median of ${STEPS} logged iterations after ${WARMUP} warm-ups; load average ${loadBefore} before, ${loadAfter} after`,
  );
  console.log(
    `measured peak on ${THREADS} threads: fp32 FMA ${peak.fp32.toFixed(0)} GFLOP/s, bf16 dot ${peak.bf16 === null ? "n/a" : peak.bf16.toFixed(0)} GFLOP/s (higher of before/after: ${peakBefore.fp32.toFixed(0)}/${peakAfter.fp32.toFixed(0)} fp32)`,
  );
  console.log(
    "| shape | precision | ours tok/s | PyTorch tok/s (default / PASSIVE) | ratio (default / PASSIVE) | MFU % | goal (vs default) | met? | peak RSS / dry-run estimate |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of final) console.log(tableLine(r));

  const results: Record<string, unknown> = {};
  for (const r of final) {
    const { shape: s } = r;
    results[`${s.name}_${r.precision}`] = {
      shape: { layers: s.layers, d: s.d, heads: s.heads, seq: s.seq, batch: s.batch, config: s.base },
      ...r.ours,
      torch_tokens_per_sec: r.torch?.tokens_per_sec ?? null,
      torch_version: r.torch?.torch ?? null,
      ratio_to_torch: r.torch ? r.ours.tokens_per_sec / r.torch.tokens_per_sec : null,
      torch_passive_tokens_per_sec: r.torchPassive?.tokens_per_sec ?? null,
      ratio_to_torch_passive: r.torchPassive ? r.ours.tokens_per_sec / r.torchPassive.tokens_per_sec : null,
      mfu_percent: r.mfu,
      mfu_percent_of_fp32_peak: r.mfuFp32,
      goal: r.goal ? goalText(r.goal) : null,
      goal_met: r.met,
      rss_over_estimate:
        r.ours.peak_rss_bytes === null ? null : r.ours.peak_rss_bytes / r.ours.estimate_bytes,
    };
  }
  const meta = {
    cpu,
    isa: peak.isa,
    threads: THREADS,
    steps: STEPS,
    warmup: WARMUP,
    load_average_before: loadBefore,
    load_average_after: loadAfter,
    peak_gflops: { fp32: peak.fp32, bf16: peak.bf16, before: peakBefore, after: peakAfter },
    torch: skipTorch ? `skipped: ${skipTorch}` : "measured",
    units:
      "tokens/s = median runtime/tokens_per_sec; MFU = GPT-NeoX model FLOPs (f = 3) per second / measured peak",
  };
  const dir = join(ROOT, "bench-results");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "train.json");
  const merged = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {};
  Object.assign(merged, results, { meta });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(merged, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  console.log(`wrote ${path}`);
}

main();
