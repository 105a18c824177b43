// Between a running Trainer and the checkpoint files: what a checkpoint holds (weights, optimizer
// state, scheduler, data positions, counters) and how a run resumes from one. `finetune` loads the
// weights alone and starts at iteration 0; `no_load_optim` keeps a fresh optimizer. With `s3_path`
// each saved checkpoint is also uploaded in the background (await `flushUploads` before exiting);
// `load: s3://...` is downloaded by `fetchS3Load` before `resume()`.
import { basename } from "node:path";
import { CHECKPOINT_FORMAT } from "./checkpoint/layout";
import { CheckpointError, type Located, locateCheckpoint, readCheckpoint } from "./checkpoint/load";
import { isS3Url, parseS3Url, s3ClientFromEnv } from "./checkpoint/s3-client";
import { fetchS3Checkpoint } from "./checkpoint/s3-download";
import { BackgroundUploader } from "./checkpoint/s3-upload";
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
  uploaderOf(t)?.enqueue(dir);
  const keep = t.cadence.keepLastN;
  if (keep !== null) {
    // A checkpoint still queued for upload stays until its upload is done (a later save prunes it).
    const uploading = new Set([...(uploaderOf(t)?.pendingDirs() ?? [])].map((d) => basename(d)));
    pruneCheckpoints(save, keep, basename(dir), uploading);
  }
  return dir;
}

const uploaders = new WeakMap<Trainer, BackgroundUploader | null>();

// The run's uploader, made at its first save: null without s3_path.
function uploaderOf(t: Trainer): BackgroundUploader | null {
  let u = uploaders.get(t);
  if (u !== undefined) return u;
  const v = t.resolved.values;
  if (typeof v.s3_path !== "string" || v.s3_path === "") u = null;
  else {
    const partSize = typeof v.s3_chunk_size === "number" ? v.s3_chunk_size : 104_857_600;
    u = new BackgroundUploader(
      s3ClientFromEnv(),
      parseS3Url(v.s3_path, "s3_path"),
      partSize,
      (kind, text) => {
        if (kind === "failed") t.monitor.event("error", text, t.iteration);
        else t.monitor.event("checkpoint", `uploaded ${text}`, t.iteration);
      },
    );
  }
  uploaders.set(t, u);
  return u;
}

/**
 * Waits for the background S3 uploads of every checkpoint saved so far; throws naming each upload
 * that failed (each was also reported as an "error" event when it failed). Without s3_path it
 * returns at once. A run must await it before its process exits, or the last upload is lost.
 */
export async function flushUploads(t: Trainer): Promise<void> {
  await uploaders.get(t)?.flush();
}

const s3Loads = new WeakMap<Trainer, Located>();

/**
 * For `load: s3://bucket/prefix`: downloads the checkpoint `prefix/latest` names (or `iteration`'s)
 * into the local cache (`cacheRoot`, default `$XDG_CACHE_HOME/neox-ts/s3`), verified file by file
 * against its index.json, for `resume()` to load. Returns a line for the user, or null when `load`
 * is not an s3:// location. Throws CheckpointError naming the object that does not match.
 */
export async function fetchS3Load(t: Trainer, opts: { cacheRoot?: string } = {}): Promise<string | null> {
  const load = t.settings.load;
  if (!load || !isS3Url(load)) return null;
  const it = t.resolved.values.iteration;
  const got = await fetchS3Checkpoint(s3ClientFromEnv(), parseS3Url(load, "load"), {
    cacheRoot: opts.cacheRoot,
    iteration: typeof it === "number" ? it : null,
  });
  if (got.kind === "fresh") {
    s3Loads.set(t, got);
    return null;
  }
  s3Loads.set(t, {
    kind: "checkpoint",
    dir: got.dir,
    tag: got.tag,
    via: `${got.via} (cached at ${got.dir})`,
  });
  return got.downloaded
    ? `downloaded ${got.via} to ${got.dir}`
    : `using the cached ${got.dir} for ${got.via}`;
}

// `load` resolved: an s3:// location must have been fetched by fetchS3Load first.
function locate(t: Trainer, load: string): Located {
  if (!isS3Url(load)) {
    const it = t.resolved.values.iteration;
    return locateCheckpoint(load, typeof it === "number" ? it : null);
  }
  const got = s3Loads.get(t);
  if (!got)
    throw new CheckpointError(
      `load = ${load}: an s3:// checkpoint is downloaded before resume(); await fetchS3Load(trainer) first`,
    );
  if (got.kind === "fresh") return got;
  // Checked again like any local checkpoint (sizes and SHA-256) by readCheckpoint below.
  const local = locateCheckpoint(got.dir);
  return local.kind === "checkpoint" ? { ...local, via: got.via } : local;
}

/**
 * Loads `load` into the trainer when it holds a checkpoint; returns a line for the user (a resume,
 * a fine-tune start, or a fresh start and why), or throws CheckpointError.
 */
export function loadCheckpoint(t: Trainer): string {
  const s = t.settings;
  const where = locate(t, s.load!);
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
  t.train.position = atWorldSize(ck.state.data.train, ck.state.batch, t, where.dir, "train");
  if (t.valid) t.valid.position = atWorldSize(ck.state.data.valid, ck.state.batch, t, where.dir, "valid");
  return `resumed from ${where.via} at iteration ${t.iteration}${ck.optimizer ? "" : " (optimizer state not loaded)"}`;
}

// A resume must continue the same run: the global batch (train_micro_batch_size_per_gpu × gas ×
// data-parallel size) and sequence length decide the data order. The data-parallel size and gas may
// change as long as their product stays (2 ranks at gas 1 read the same samples per iteration as one
// process at gas 2, batches.ts); the micro-batch size may not, since the loss is a mean per micro-batch.
function checkCompatible(
  t: Trainer,
  saved: { batch: Record<string, number>; seed: number },
  dir: string,
): void {
  const s = t.settings;
  const now: Record<string, number> = {
    micro: s.micro,
    globalBatch: s.micro * s.gas * s.dataParallel,
    seqLength: s.seqLength,
  };
  const b = saved.batch;
  const was: Record<string, number | undefined> = {
    micro: b.micro,
    globalBatch: (b.micro ?? 0) * (b.gas ?? 0) * (b.dataParallel ?? 0),
    seqLength: b.seqLength,
  };
  const keys: Record<string, string> = {
    micro: "train_micro_batch_size_per_gpu",
    globalBatch:
      "the global batch (train_micro_batch_size_per_gpu × gradient_accumulation_steps × data-parallel size)",
    seqLength: "seq_length",
  };
  for (const k of Object.keys(now))
    if (was[k] !== now[k])
      throw new CheckpointError(
        `${dir}: saved with ${keys[k]} = ${was[k]}, this run has ${now[k]}; a resume continues the same batches (set finetune: true to start a new run from these weights)`,
      );
}

// A data position counts global micro-batches of micro × data-parallel size samples (batches.ts),
// so at another data-parallel size the same samples consumed are another count. checkCompatible
// kept the global batch, so a position saved at an iteration's end divides evenly.
function atWorldSize(
  position: number,
  saved: Record<string, number>,
  t: Trainer,
  dir: string,
  split: string,
): number {
  const samples = position * saved.micro! * saved.dataParallel!;
  const per = t.settings.micro * t.settings.dataParallel;
  if (samples % per !== 0)
    throw new CheckpointError(
      `${dir}: the ${split} data position (${samples} samples) is not a whole number of micro-batches of ${per} samples at this data-parallel size`,
    );
  return samples / per;
}
