// Between a running Trainer and the checkpoint files: what a checkpoint holds (weights, optimizer
// state, scheduler, data positions, counters) and how a run resumes from one. `finetune` loads the
// weights alone and starts at iteration 0; `no_load_optim` keeps a fresh optimizer.
import { basename } from "node:path";
import { CHECKPOINT_FORMAT } from "./checkpoint/layout";
import { CheckpointError, locateCheckpoint, readCheckpoint } from "./checkpoint/load";
import { pruneCheckpoints, removeStaleCheckpointTemps, saveCheckpoint } from "./checkpoint/save";
import { loadOptimizerState, optimizerStateByName, optimizerStateShapes } from "./optimizer";
import type { Trainer } from "./trainer";

/** Writes the trainer's state as `<save>/global_step{iteration}`; returns the directory. */
export function saveTrainerCheckpoint(t: Trainer): string {
  const s = t.settings;
  const save = s.save!;
  removeStaleCheckpointTemps(save);
  const params = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  const host = t.model.registry.flat.data.toFloat32Array();
  for (const e of t.model.registry.entries())
    params.set(e.name, { shape: e.shape, data: host.subarray(e.offset, e.offset + e.numel) });
  const dir = saveCheckpoint(save, {
    iteration: t.iteration,
    params,
    optimizer: s.noSaveOptim ? null : optimizerStateByName(t.model, t.optimizer),
    state: {
      optimizerStep: t.optimizerStep,
      optimizer: { kind: s.optimizer.kind, hyper: { ...s.optimizer }, hasState: !s.noSaveOptim },
      scheduler: t.scheduler.stateDict() as unknown as Record<string, unknown>,
      lossScaler: (t.lossScaler?.stateDict() as unknown as Record<string, unknown> | undefined) ?? null,
      data: { train: t.train.position, valid: t.valid?.position ?? 0 },
      seed: s.seed,
      precision: s.precision,
      batch: { micro: s.micro, gas: s.gas, dataParallel: s.dataParallel, seqLength: s.seqLength },
      skipped: t.skipped,
    },
    config: { ...t.resolved.values },
    configFiles: t.resolved.configFiles,
  });
  const keep = t.cadence.keepLastN;
  if (keep !== null) pruneCheckpoints(save, keep, basename(dir));
  return dir;
}

/**
 * Loads `load` into the trainer when it holds a checkpoint; returns a line for the user (a resume,
 * a fine-tune start, or a fresh start and why), or throws CheckpointError.
 */
export function loadCheckpoint(t: Trainer): string {
  const s = t.settings;
  const it = t.resolved.values.iteration;
  const where = locateCheckpoint(s.load!, typeof it === "number" ? it : null);
  if (where.kind === "fresh") return `no checkpoint to resume: ${where.why}; training from scratch`;
  const params = new Map<string, readonly number[]>();
  for (const e of t.model.registry.entries()) params.set(e.name, e.shape);
  const withOptim = !s.finetune && !s.noLoadOptim;
  const ck = readCheckpoint(where.dir, {
    params,
    optimizer: withOptim ? optimizerStateShapes(t.model, t.optimizer) : null,
  });
  if (ck.state.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(`${where.dir}: unknown checkpoint format`);
  if (!s.finetune) checkCompatible(t, ck.state, where.dir);

  // Everything read and checked: now write it into the model (nothing above touched it).
  const flat = new Float32Array(t.model.registry.numel);
  for (const e of t.model.registry.entries()) flat.set(ck.params.get(e.name)!, e.offset);
  t.model.registry.flat.data.write(flat);
  t.model.registry.flat.refreshLowp();
  if (s.finetune) return `fine-tuning from ${where.via}: weights loaded, starting at iteration 0`;

  if (ck.optimizer) loadOptimizerState(t.model, t.optimizer, ck.optimizer);
  t.scheduler.loadStateDict(ck.state.scheduler as never);
  if (t.lossScaler && ck.state.lossScaler) t.lossScaler.loadStateDict(ck.state.lossScaler as never);
  t.iteration = ck.state.iteration;
  t.optimizerStep = ck.state.optimizerStep;
  t.skipped = ck.state.skipped;
  t.train.position = ck.state.data.train;
  if (t.valid) t.valid.position = ck.state.data.valid;
  return `resumed from ${where.via} at iteration ${t.iteration}${ck.optimizer ? "" : " (optimizer state not loaded)"}`;
}

// A resume must continue the same run: batch layout and sequence length decide the data order.
function checkCompatible(
  t: Trainer,
  saved: { batch: Record<string, number>; seed: number },
  dir: string,
): void {
  const s = t.settings;
  const now: Record<string, number> = {
    micro: s.micro,
    gas: s.gas,
    dataParallel: s.dataParallel,
    seqLength: s.seqLength,
  };
  const keys: Record<string, string> = {
    micro: "train_micro_batch_size_per_gpu",
    gas: "gradient_accumulation_steps",
    dataParallel: "data-parallel size",
    seqLength: "seq_length",
  };
  for (const k of Object.keys(now))
    if (saved.batch[k] !== now[k])
      throw new CheckpointError(
        `${dir}: saved with ${keys[k]} = ${saved.batch[k]}, this run has ${now[k]}; a resume continues the same batches (set finetune: true to start a new run from these weights)`,
      );
}
