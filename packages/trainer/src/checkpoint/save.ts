import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fsyncDir } from "@neox/data-mmap";
import { writeTextSynced } from "@neox/models";
import { type SafetensorsInput, writeSafetensors } from "@neox/tensor";
import { checkpointsToDelete } from "../schedule/cadence";
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointIndex,
  CONFIG_FILE,
  INDEX_FILE,
  type IndexedFile,
  type IndexedTensor,
  LATEST_FILE,
  MODEL_FILE,
  OPTIM_FILE,
  STATE_FILE,
  TAG_PATTERN,
  TEMP_PREFIX,
  TRASH_PREFIX,
  type TrainerState,
  tagOf,
} from "./layout";

export interface CheckpointContents {
  iteration: number;
  /** Parameters by name (fp32 host copies). */
  params: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;
  /** Optimizer state tensors by `<state>.<param>` name, or null (no_save_optim). */
  optimizer: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }> | null;
  state: Omit<TrainerState, "format" | "version" | "iteration">;
  /** The resolved config values. */
  config: Record<string, unknown>;
  /** The config files as given: basename -> text. */
  configFiles: Readonly<Record<string, string>>;
}

/** Writes `<save>/global_step{N}` and points `latest` at it. Returns the checkpoint directory. */
export function saveCheckpoint(save: string, c: CheckpointContents): string {
  mkdirSync(save, { recursive: true });
  const tag = tagOf(c.iteration);
  const tmp = join(
    save,
    `${TEMP_PREFIX}${c.iteration}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  );
  mkdirSync(tmp);
  try {
    const tensors: Record<string, IndexedTensor> = {};
    const asInputs = (
      m: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
      file: string,
    ): Record<string, SafetensorsInput> => {
      const out: Record<string, SafetensorsInput> = {};
      for (const [name, t] of m) {
        out[name] = { dtype: "f32", shape: t.shape, data: t.data };
        tensors[name] = { file, shape: [...t.shape], dtype: "F32" };
      }
      return out;
    };
    // Every file's size and SHA-256 as it is written, for the index (nothing is read back).
    const files: IndexedFile[] = [];
    const meta = { format: CHECKPOINT_FORMAT, iteration: String(c.iteration) };
    files.push({
      path: MODEL_FILE,
      ...writeSafetensors(join(tmp, MODEL_FILE), asInputs(c.params, MODEL_FILE), meta),
    });
    if (c.optimizer) {
      mkdirSync(join(tmp, dirname(OPTIM_FILE)));
      files.push({
        path: OPTIM_FILE,
        ...writeSafetensors(join(tmp, OPTIM_FILE), asInputs(c.optimizer, OPTIM_FILE), meta),
      });
    }
    const text = (path: string, content: string) =>
      files.push({ path, ...writeTextSynced(join(tmp, path), content) });
    const state: TrainerState = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      iteration: c.iteration,
      ...c.state,
    };
    text(STATE_FILE, `${JSON.stringify(state, null, 1)}\n`);
    text(CONFIG_FILE, `${JSON.stringify(c.config, null, 1)}\n`);
    if (Object.keys(c.configFiles).length > 0) {
      mkdirSync(join(tmp, "configs"));
      for (const [name, content] of Object.entries(c.configFiles)) text(`configs/${basename(name)}`, content);
      fsyncDir(join(tmp, "configs"));
    }
    if (c.optimizer) fsyncDir(join(tmp, dirname(OPTIM_FILE)));
    const index: CheckpointIndex = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      iteration: c.iteration,
      files,
      tensors,
    };
    writeTextSynced(join(tmp, INDEX_FILE), `${JSON.stringify(index, null, 1)}\n`);
    fsyncDir(tmp);

    const dest = join(save, tag);
    // Saving an iteration again (a resumed run that stops where it started): the old directory is
    // moved aside first, so `dest` is either the old checkpoint or the new one, never neither.
    let trash: string | null = null;
    if (existsSync(dest)) {
      trash = join(save, `${TRASH_PREFIX}${c.iteration}-${process.pid}`);
      renameSync(dest, trash);
    }
    renameSync(tmp, dest);
    fsyncDir(save);
    writeLatest(save, tag);
    if (trash) rmSync(trash, { recursive: true, force: true });
    return dest;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Replaces `<save>/latest` atomically with `tag`. */
export function writeLatest(save: string, tag: string): void {
  const tmp = join(save, `.${LATEST_FILE}.tmp-${process.pid}`);
  writeTextSynced(tmp, `${tag}\n`);
  renameSync(tmp, join(save, LATEST_FILE));
  fsyncDir(save);
}

/**
 * Removes temporaries a crashed or killed writer left in `save` (`.neox-tmp-global_step*`,
 * `.neox-old-global_step*`, `.latest.tmp-*`) whose process is gone. Returns the names removed.
 */
export function removeStaleCheckpointTemps(save: string): string[] {
  if (!existsSync(save)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(save)) {
    const m = /^(?:\.neox-tmp-global_step\d+-|\.neox-old-global_step\d+-|\.latest\.tmp-)(\d+)/.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    rmSync(join(save, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Whether `pid` is another live process (this process's own temporaries count as stale). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return false; // ours from an earlier save in this process: stale too
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * keep_last_n_checkpoints: deletes all but the newest `keep` `global_stepN` directories (by N),
 * never the one `latest` names nor those in `spare` (still being uploaded). Returns the tags removed.
 */
export function pruneCheckpoints(
  save: string,
  keep: number,
  latestTag: string,
  spare: ReadonlySet<string> = new Set(),
): string[] {
  const dirs = readdirSync(save).filter((n) => TAG_PATTERN.test(n) && statSync(join(save, n)).isDirectory());
  const doomed = checkpointsToDelete(dirs, keep).filter((t) => t !== latestTag && !spare.has(t));
  for (const t of doomed) rmSync(join(save, t), { recursive: true, force: true });
  return doomed;
}
