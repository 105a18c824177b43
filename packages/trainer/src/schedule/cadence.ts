// When the training loop saves, evaluates and exits, which old checkpoints it deletes, and where the
// data loaders start on resume: pure functions of the iteration, as GPT-NeoX computes them
// (neox_args/arguments.py calculate_derived: save_iters; training.py; checkpointing.py
// delete_old_checkpoints; data_utils.py: start_iter; neox-spec §1.2, §2f).
//
// GPT-NeoX's loop, after `iteration += 1`: log → save if iteration ∈ save_iters → evaluate if
// iteration % eval_interval == 0 → exit if iteration % exit_interval == 0. After the last
// iteration it saves once more (unless the iteration is 0).
import type { ResolvedConfig } from "@neox/config";
import { failKey, wholeOrNull } from "./config-value";

export type CheckpointScale = "linear" | "log";

export interface CheckpointCadence {
  /** checkpoint_factor: spacing (linear) or ratio (log); null: only extra_save_iters. */
  factor: number | null;
  scale: CheckpointScale;
  extraSaveIters: readonly number[];
  trainIters: number;
}

/**
 * GPT-NeoX's save_iters, sorted: extra_save_iters ∪ {f, 2f, 3f, …} (linear) or {f, f², f³, …} (log),
 * the series stopping before train_iters (that one is the final save). The series is built by the
 * same repeated addition or multiplication, so a fractional factor lands where GPT-NeoX's does.
 */
export function saveIterations(c: CheckpointCadence): number[] {
  const iters = new Set<number>(c.extraSaveIters);
  const f = c.factor;
  if (f !== null) {
    // Both loops would never end on these (GPT-NeoX hangs); checkpointCadence() rejects them.
    if (!(f > 0) || (c.scale === "log" && !(f > 1)))
      throw new RangeError(`checkpoint_factor ${f} cannot space ${c.scale} checkpoints`);
    for (let step = f; step < c.trainIters; step = c.scale === "log" ? step * f : step + f) iters.add(step);
  }
  return [...iters].sort((a, b) => a - b);
}

/** The final save after the loop: GPT-NeoX saves unless no iteration ran. */
export const isFinalSave = (iteration: number): boolean => iteration !== 0;

export interface EvalCadence {
  /** eval_interval; 0 or null: never during training. */
  interval: number | null;
  /** eval_iters: iterations per evaluation, each of gradient_accumulation_steps micro-batches; 0: none. */
  iters: number;
}

/** Evaluate after this iteration? GPT-NeoX: eval_interval set, eval_iters > 0, iteration % interval == 0. */
export function isEvalIteration(iteration: number, e: EvalCadence): boolean {
  return !!e.interval && e.iters > 0 && iteration % e.interval === 0;
}

/** Validation micro-batches one evaluation reads: eval_iters × gradient_accumulation_steps. */
export const evalMicroBatches = (e: EvalCadence, gas: number): number => e.iters * gas;

/** Exit after this iteration? GPT-NeoX: exit_interval set and iteration % exit_interval == 0. */
export function isExitIteration(iteration: number, exitInterval: number | null): boolean {
  return !!exitInterval && iteration % exitInterval === 0;
}

/** train_iters for train_epochs: len(train_loader) · epochs // gradient_accumulation_steps. */
export function trainItersFromEpochs(trainLoaderLength: number, epochs: number, gas: number): number {
  return Math.floor((trainLoaderLength * epochs) / gas);
}

/**
 * Global micro-batches the train sampler skips on resume (§2f): (iteration · GAS) % len(train_loader),
 * len being the loader's global micro-batches per pass.
 */
export function trainResumeSkip(iteration: number, gas: number, trainLoaderLength: number): number {
  return (iteration * gas) % trainLoaderLength;
}

/**
 * Validation micro-batches skipped on resume: ((iteration · GAS) // eval_interval) · eval_iters,
 * modulo len(valid_loader) as data_utils.py sets start_iter.
 */
export function validResumeSkip(
  iteration: number,
  gas: number,
  e: EvalCadence,
  validLoaderLength: number,
): number {
  if (!e.interval) return 0;
  return (Math.floor((iteration * gas) / e.interval) * e.iters) % validLoaderLength;
}

const STEP_DIR = /^global_step(\d+)$/;

/**
 * The checkpoint directories keep_last_n_checkpoints deletes after a save: all but the newest
 * `keep` by natural sort of the names (GPT-NeoX delete_old_checkpoints). Only names of the form
 * global_stepN count; GPT-NeoX matches any name containing "global_step", which would also sweep up
 * a half-written temporary directory, so this is stricter. For these names natural order is N order.
 */
export function checkpointsToDelete(names: readonly string[], keep: number): string[] {
  const steps = names
    .map((name) => ({ name, m: STEP_DIR.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .map(({ name, m }) => ({ name, n: BigInt(m[1] ?? "0") }))
    .sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : a.name.localeCompare(b.name)));
  return steps.slice(0, Math.max(0, steps.length - keep)).map((s) => s.name);
}

export interface Cadence {
  save: string | null;
  checkpoint: CheckpointCadence;
  /** save_iters, computed once. */
  saveIters: ReadonlySet<number>;
  keepLastN: number | null;
  eval: EvalCadence;
  exitInterval: number | null;
}

/**
 * The cadence a resolved config asks for. `trainIters` supplies train_iters when the config trains
 * by epochs (see trainItersFromEpochs).
 */
export function cadenceFromConfig(r: ResolvedConfig, opts: { trainIters?: number } = {}): Cadence {
  const v = r.values;
  const trainIters = opts.trainIters ?? wholeOrNull(r, "train_iters", v.train_iters, 0);
  if (trainIters === null)
    failKey(r, "train_iters", null, "set train_iters (or train_epochs, then pass the iterations)");
  const scale = v.checkpoint_scale === "log" ? "log" : "linear";
  const f = v.checkpoint_factor;
  let factor: number | null = null;
  if (f !== null && f !== undefined) {
    if (typeof f !== "number" || !Number.isFinite(f)) failKey(r, "checkpoint_factor", f, "expected a number");
    if (scale === "linear" && !(f > 0))
      failKey(r, "checkpoint_factor", f, "linear checkpoints need a spacing > 0");
    if (scale === "log" && !(f > 1))
      failKey(r, "checkpoint_factor", f, "log checkpoints (checkpoint_scale: log) need a ratio > 1");
    factor = f;
  }
  const extra = v.extra_save_iters ?? [];
  if (!Array.isArray(extra) || extra.some((x) => typeof x !== "number" || !Number.isSafeInteger(x) || x < 0))
    failKey(r, "extra_save_iters", extra, "expected a list of whole numbers ≥ 0");
  const save = typeof v.save === "string" && v.save.length > 0 ? v.save : null;
  if (save !== null && factor === null && (extra as number[]).length === 0)
    failKey(r, "save", save, "set checkpoint_factor or extra_save_iters to say when to save");
  const keepLastN = wholeOrNull(r, "keep_last_n_checkpoints", v.keep_last_n_checkpoints, 1);
  const checkpoint: CheckpointCadence = { factor, scale, extraSaveIters: extra as number[], trainIters };
  return {
    save,
    checkpoint,
    saveIters: new Set(saveIterations(checkpoint)),
    keepLastN,
    eval: {
      interval: wholeOrNull(r, "eval_interval", v.eval_interval, 0),
      iters: wholeOrNull(r, "eval_iters", v.eval_iters, 0) ?? 0,
    },
    exitInterval: wholeOrNull(r, "exit_interval", v.exit_interval, 0),
  };
}

const CACHE = new WeakMap<ResolvedConfig, Cadence>();

/** Save after this iteration (GPT-NeoX: iteration ∈ save_iters)? The final save is isFinalSave's. */
export function shouldSave(r: ResolvedConfig, iteration: number): boolean {
  let c = CACHE.get(r);
  if (c === undefined) {
    c = cadenceFromConfig(r);
    CACHE.set(r, c);
  }
  return c.saveIters.has(iteration);
}
