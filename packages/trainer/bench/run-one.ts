// One training run of `pnpm bench:train`, in its own process so that its peak RSS (VmHWM) belongs
// to it alone: `node ... bench/run-one.ts <shape name> <fp32|bf16> <timed steps>`. Builds the
// shape's config, trains the real Trainer on random tokens for WARMUP + steps iterations with a
// log line every iteration, and prints one line `RESULT {json}`: the median of the logged
// runtime/tokens_per_sec after the warm-ups, the memory the dry run estimates and the peak RSS.
// NEOX_BENCH_PROFILE=1 also prints the time per kernel of one replay of the step (to stderr).
import { modelInfo } from "@neox/models";
import { Monitor } from "@neox/monitor";
import { type Plan, setNumThreads } from "@neox/tensor";
import { Trainer, trainMemoryOf } from "../src/index";
import { median, peakRssBytes, RandomTokens, RecordingSink } from "./harness";
import { benchConfig, type Precision, SHAPES, VOCAB, WARMUP } from "./shapes";

export interface RunResult {
  tokens_per_sec: number;
  /** Every logged runtime/tokens_per_sec, warm-ups included. */
  logged_tokens_per_sec: number[];
  seconds_per_iteration: number;
  first_loss: number;
  last_loss: number;
  /** What `neox train --dry-run` prints as its total: weights, gradients, optimizer state, activations. */
  estimate_bytes: number;
  peak_rss_bytes: number | null;
  /** The step plan's arena: every activation and temporary of one step (weights and optimizer state are outside it). */
  arena_bytes: number | null;
  /** GPT-NeoX's model FLOPs per iteration (f = 3). */
  model_flops_per_iteration: number;
}

function main(): void {
  const [name, precision, stepsArg] = process.argv.slice(2);
  const shape = SHAPES.find((s) => s.name === name);
  if (!shape || (precision !== "fp32" && precision !== "bf16"))
    throw new Error(
      `run-one: expected <shape> <fp32|bf16> <steps> with shape one of ${SHAPES.map((s) => s.name).join(", ")}; got ${process.argv.slice(2).join(" ")}`,
    );
  const steps = Number(stepsArg);
  if (!Number.isSafeInteger(steps) || steps < 1)
    throw new Error(`run-one: steps must be ≥ 1, got ${stepsArg}`);
  setNumThreads(Number(process.env.NEOX_NUM_THREADS ?? 2));
  const iters = WARMUP + steps;
  const r = benchConfig(shape, precision as Precision, iters);

  // The total `neox train --dry-run` prints (this engine's trainMemory; checkpointing is off here).
  const { info } = modelInfo(r);
  const estimate = trainMemoryOf(r).total;

  const sink = new RecordingSink();
  const data = new RandomTokens(iters * shape.batch, shape.seq, VOCAB, 42);
  const trainer = new Trainer(r, { train: data, valid: null, test: null, eod: null }, new Monitor([sink]));
  const run = trainer.run();
  run
    .then((out) => {
      if (out.iteration !== iters)
        throw new Error(`run-one: trained ${out.iteration} iterations, expected ${iters}`);
      if (sink.tokensPerSec.length !== iters)
        throw new Error(
          `run-one: ${sink.tokensPerSec.length} tokens/s values logged, expected one per iteration`,
        );
      if (process.env.NEOX_BENCH_PROFILE === "1") printProfile(trainer, `${shape.name} ${precision}`);
      const timed = sink.tokensPerSec.slice(WARMUP);
      const tps = median(timed);
      const result: RunResult = {
        tokens_per_sec: tps,
        logged_tokens_per_sec: sink.tokensPerSec,
        seconds_per_iteration: (shape.batch * shape.seq) / tps,
        first_loss: sink.losses[0]!,
        last_loss: sink.losses[sink.losses.length - 1]!,
        estimate_bytes: estimate,
        peak_rss_bytes: peakRssBytes(),
        arena_bytes: stepPlan(trainer)?.stats.arenaBytes ?? null,
        model_flops_per_iteration: info.flops_per_token * shape.batch * shape.seq,
      };
      trainer.dispose();
      console.log(`RESULT ${JSON.stringify(result)}`);
    })
    .catch((e: unknown) => {
      trainer.dispose();
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    });
}

// TrainStep keeps its recorded Plan private (nothing but a benchmark needs it); the bench reads it for
// the arena size and to time one replay kernel by kernel.
function stepPlan(trainer: Trainer): Plan | null {
  return (trainer.step as unknown as { plan: Plan | null }).plan;
}

function printProfile(trainer: Trainer, title: string): void {
  const plan = stepPlan(trainer);
  if (!plan) return;
  const prof = [...plan.profile()].sort((a, b) => b[1].ms - a[1].ms);
  const total = prof.reduce((a, [, p]) => a + p.ms, 0);
  console.error(`\n${title}: one replay of the step, ${total.toFixed(1)} ms by kernel`);
  for (const [k, p] of prof)
    console.error(
      `  ${k.padEnd(28)} ${String(p.calls).padStart(5)} calls ${p.ms.toFixed(1).padStart(9)} ms ${((100 * p.ms) / total).toFixed(1).padStart(5)}%`,
    );
}

main();
