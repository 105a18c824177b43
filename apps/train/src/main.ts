// `neox train`: resolve the configs, load the tokenizer (vocabulary and end-of-document id), build
// GPT-NeoX's datasets, and run @neox/trainer with the console, metrics.jsonl and TensorBoard sinks.
// The non-default config is printed first, with where each value came from.
// Many processes: the launching `neox train` writes the resolved config and runs the plan's mpirun
// (run-ranks.ts); each rank runs `neox train` again with NEOX_RESOLVED_CONFIG set (worker.ts), which
// reads that config, never plans a launch, and trains data parallel.

import { readFileSync } from "node:fs";
import { type ResolvedConfig, renderShow, resolveForVerb, withVocabSize } from "@neox/config";
import { formatPlan, type LaunchPlan, writeResolvedConfig } from "@neox/launch";
import { ConsoleSink, JsonlSink, type MemoryReport, Monitor, TensorBoardWriter } from "@neox/monitor";
import { allocStats, parseDevice, setDefaultDevice } from "@neox/tensor";
import { loadTokenizer, tokenizerOptionsFromConfig } from "@neox/tokenize";
import { type DataParallel, fetchS3Load, flushUploads, Trainer } from "@neox/trainer";
import { HELP, parseArgs } from "./args";
import { buildTrainData } from "./data";
import { dryRunReport } from "./dry-run";
import { atWorldSize, launchPlanOrRefuse } from "./launch";
import { runRanks } from "./run-ranks";
import { teeToLogDir } from "./tee";
import { workerSetup } from "./worker";

const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
const MB = 2 ** 20;

/**
 * GPT-NeoX's memory report for a CPU process: tensors' native memory (allocated), the resident set
 * (reserved) and its high-water mark (max reserved, Linux's VmHWM).
 */
function processMemory(): MemoryReport {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSafe("/proc/self/status"));
  return {
    allocatedMB: allocStats().liveBytes / MB,
    reservedMB: process.memoryUsage().rss / MB,
    ...(hwm ? { maxReservedMB: Number(hwm[1]) / 1024 } : {}),
  };
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

export async function main(argv: string[], ctx: { signal?: AbortSignal } = {}): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const err = process.stderr;
  const write = (line: string) => err.write(`${line}\n`);
  if (!parsed.dryRun && !chooseDevice(parsed.device, write)) return 1;
  const workerConfig = process.env.NEOX_RESOLVED_CONFIG;
  if (workerConfig && !parsed.dryRun) return worker(workerConfig, ctx, write);
  const config = resolveForVerb("train", parsed.configs, parsed.overrides, write);
  if (!config) return 1;
  const plan = launchPlanOrRefuse(config, write);
  if (!plan) return 1;
  const unsized = atWorldSize(config, plan.worldSize, parsed.overrides, write);
  if (!unsized) return 1;
  const v = unsized.values;
  if (plan.kind !== "single" && !parsed.dryRun) return launch(unsized, plan, ctx);
  const tokenizer = await loadTokenizer(tokenizerOptionsFromConfig(v));
  const resolved = withVocabSize(unsized, tokenizer.vocabSize);
  const untee = !parsed.dryRun && typeof v.log_dir === "string" ? teeToLogDir(v.log_dir) : () => {};
  try {
    return await train(resolved, parsed.dryRun ? plan : null, tokenizer.eod, ctx);
  } finally {
    untee();
  }
}

/**
 * The device of everything the run makes (--device, else $NEOX_DEVICE, else cpu), opened now so a
 * machine without it fails here with the reason; launched ranks inherit it through NEOX_DEVICE.
 */
function chooseDevice(flag: string | null, write: (line: string) => void): boolean {
  const text = flag ?? process.env.NEOX_DEVICE ?? "cpu";
  const what = flag !== null ? "--device" : "NEOX_DEVICE";
  try {
    setDefaultDevice(parseDevice(text, what));
  } catch (e) {
    write(
      `neox train: ${e instanceof Error && e.message.startsWith(what) ? "" : `${what} ${text}: `}${e instanceof Error ? e.message : String(e)}`,
    );
    return false;
  }
  process.env.NEOX_DEVICE = text;
  return true;
}

/** The launching process: the config for the ranks, then mpirun; its log_dir tee holds rank 0's output. */
async function launch(r: ResolvedConfig, plan: LaunchPlan, ctx: { signal?: AbortSignal }): Promise<number> {
  writeResolvedConfig(plan.configPath, r);
  const v = r.values;
  const untee = typeof v.log_dir === "string" ? teeToLogDir(v.log_dir) : () => {};
  try {
    const res = await runRanks(
      plan,
      { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
      ctx.signal,
    );
    return res.code;
  } finally {
    untee();
  }
}

/** One rank of a launched run: its config at the launched world size, its group, then training. */
async function worker(
  path: string,
  ctx: { signal?: AbortSignal },
  write: (line: string) => void,
): Promise<number> {
  // the launching neox train turns its interrupt into a SIGUSR2 that mpirun passes to every rank
  // (SIGUSR1 would start Node's inspector)
  const stop = new AbortController();
  ctx.signal?.addEventListener("abort", () => stop.abort(ctx.signal?.reason));
  process.once("SIGUSR2", () => stop.abort({ signal: "SIGINT" }));
  ctx = { signal: stop.signal };
  const setup = workerSetup(path, write);
  if (!setup) return 1;
  const { resolved: unsized, dp } = setup;
  const tokenizer = await loadTokenizer(tokenizerOptionsFromConfig(unsized.values));
  const resolved = withVocabSize(unsized, tokenizer.vocabSize);
  // a rank that throws exits non-zero and mpirun aborts the others; one that returns (done, or
  // stopped by a signal mpirun passed on) waits for the others first: mpirun ends the job when any
  // rank exits non-zero, which must not cut rank 0 off while it still saves or prints
  const code = await train(resolved, null, tokenizer.eod, ctx, dp);
  await dp.barrier();
  dp.group.finalize(); // mpirun counts a rank that exits without MPI_Finalize as failed
  return code;
}

async function train(
  resolved: ResolvedConfig,
  /** --dry-run: the launch plan to print after the report; null trains. */
  dryRun: LaunchPlan | null,
  eod: number,
  ctx: { signal?: AbortSignal },
  /** A launched rank's data-parallel group; only rank 0 prints and writes logs. */
  dp: DataParallel | null = null,
): Promise<number> {
  const rank0 = (dp?.rank ?? 0) === 0;
  const err = rank0 ? process.stderr : { write: (_: string) => true };
  const v = resolved.values;
  err.write(`${renderShow(resolved)}\n`);
  if (dryRun) {
    process.stdout.write(dryRunReport(resolved));
    if (dryRun.kind !== "single") process.stdout.write(formatPlan(dryRun));
    return 0;
  }

  const data = buildTrainData(resolved, eod, (line) => err.write(`${line}\n`));
  const monitor = new Monitor();
  let closed = false;
  let trainer: Trainer | null = null;
  try {
    let stop = false;
    ctx.signal?.addEventListener("abort", () => {
      stop = true;
    });
    trainer = new Trainer(resolved, data, monitor, {
      shouldStop: () => stop,
      log: (line) => err.write(`${line}\n`),
      dataParallel: dp,
    });
    const logInterval = Number(resolved.values.log_interval ?? 100);
    const t = trainer;
    if (rank0)
      monitor.add(
        new ConsoleSink({
          train_iters: trainer.trainIters,
          log_interval: logInterval,
          stream: process.stdout,
          skipped: () => t.skipped,
          memory: processMemory,
        }),
      );
    if (rank0 && typeof v.log_dir === "string") monitor.add(new JsonlSink(v.log_dir));
    if (rank0 && typeof v.tensorboard_dir === "string") monitor.add(new TensorBoardWriter(v.tensorboard_dir));
    // load: s3://... comes down to the local cache first: rank 0 downloads, the others then find
    // its verified copy there
    if (!dp || dp.rank === 0) await fetchS3Load(trainer);
    if (dp) {
      await dp.barrier();
      if (dp.rank !== 0) await fetchS3Load(trainer);
    }
    trainer.resume();
    const result = await trainer.run();
    // s3_path: the last checkpoint's background upload finishes (or fails, naming it) before exit
    await flushUploads(trainer);
    monitor.close();
    closed = true;
    const where = result.checkpoint ? `; checkpoint ${result.checkpoint}` : "";
    if (result.reason === "interrupted") {
      // the neox command prints the interrupted line itself and exits 128 + the signal number
      const sig = (ctx.signal?.reason as { signal?: string } | undefined)?.signal ?? "SIGINT";
      err.write(`neox train: stopped after iteration ${result.iteration}${where}\n`);
      return SIGNAL_EXIT[sig] ?? 130;
    }
    err.write(
      `neox train: ${result.reason === "exit_interval" ? "exit_interval reached" : "done"} at iteration ${result.iteration}${where}\n`,
    );
    return 0;
  } finally {
    if (!closed) {
      try {
        monitor.close(); // what was logged before a failure is kept
      } catch {}
    }
    trainer?.dispose();
    data.close();
  }
}
