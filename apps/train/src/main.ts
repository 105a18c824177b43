// `neox train`: resolve the configs, load the tokenizer (vocabulary and end-of-document id), build
// GPT-NeoX's datasets, and run @neox/trainer with the console, metrics.jsonl and TensorBoard sinks.
// The non-default config is printed first, with where each value came from.

import { readFileSync } from "node:fs";
import { type ResolvedConfig, renderShow, resolveForVerb, withVocabSize } from "@neox/config";
import { formatPlan, type LaunchPlan } from "@neox/launch";
import { ConsoleSink, JsonlSink, type MemoryReport, Monitor, TensorBoardWriter } from "@neox/monitor";
import { allocStats } from "@neox/tensor";
import { loadTokenizer, tokenizerOptionsFromConfig } from "@neox/tokenize";
import { Trainer } from "@neox/trainer";
import { HELP, parseArgs } from "./args";
import { buildTrainData } from "./data";
import { dryRunReport } from "./dry-run";
import { atWorldSize, launchPlanOrRefuse } from "./launch";
import { teeToLogDir } from "./tee";

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
  const config = resolveForVerb("train", parsed.configs, parsed.overrides, write);
  if (!config) return 1;
  const plan = launchPlanOrRefuse(config, parsed.dryRun, write);
  if (!plan) return 1;
  const unsized = atWorldSize(config, plan, parsed.overrides, write);
  if (!unsized) return 1;
  const v = unsized.values;
  const tokenizer = await loadTokenizer(tokenizerOptionsFromConfig(v));
  const resolved = withVocabSize(unsized, tokenizer.vocabSize);
  const untee = !parsed.dryRun && typeof v.log_dir === "string" ? teeToLogDir(v.log_dir) : () => {};
  try {
    return await train(resolved, parsed.dryRun ? plan : null, tokenizer.eod, ctx);
  } finally {
    untee();
  }
}

async function train(
  resolved: ResolvedConfig,
  /** --dry-run: the launch plan to print after the report; null trains. */
  dryRun: LaunchPlan | null,
  eod: number,
  ctx: { signal?: AbortSignal },
): Promise<number> {
  const err = process.stderr;
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
    });
    const logInterval = Number(resolved.values.log_interval ?? 100);
    const t = trainer;
    monitor.add(
      new ConsoleSink({
        train_iters: trainer.trainIters,
        log_interval: logInterval,
        stream: process.stdout,
        skipped: () => t.skipped,
        memory: processMemory,
      }),
    );
    if (typeof v.log_dir === "string") monitor.add(new JsonlSink(v.log_dir));
    if (typeof v.tensorboard_dir === "string") monitor.add(new TensorBoardWriter(v.tensorboard_dir));
    trainer.resume();
    const result = await trainer.run();
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
