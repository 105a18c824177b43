// Finding and reading a checkpoint. `load` names a save directory (resolved through its `latest`)
// or one `global_stepN` directory. A save directory that does not exist yet or has no `latest` is a
// fresh start (GPT-NeoX warns and trains from scratch), so `save` = `load` resumes by itself after a
// crash. Everything else that does not fit is an error naming the file and the mismatch, raised
// before anything is handed back: a checkpoint is read whole into host memory and checked (sizes,
// SHA-256, tensor names, shapes, dtypes), so nothing is ever half-loaded.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile } from "@neox/tensor";
import {
  CHECKPOINT_FORMAT,
  type CheckpointIndex,
  INDEX_FILE,
  LATEST_FILE,
  MODEL_FILE,
  OPTIM_FILE,
  STATE_FILE,
  sha256File,
  TAG_PATTERN,
  type TrainerState,
  tagOf,
} from "./layout";

/** A checkpoint that cannot be used; the message names the file and what is wrong. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

export type Located =
  | { kind: "checkpoint"; dir: string; tag: string; via: string }
  | { kind: "fresh"; why: string };

/** Where `load` points: a checkpoint directory, or a fresh start and why. */
export function locateCheckpoint(load: string, iteration: number | null = null): Located {
  if (!existsSync(load)) return { kind: "fresh", why: `${load} does not exist yet` };
  if (!statSync(load).isDirectory()) throw new CheckpointError(`${load}: expected a checkpoint directory`);
  const name = load.replace(/\/+$/, "").split("/").at(-1) ?? "";
  if (TAG_PATTERN.test(name) || existsSync(join(load, INDEX_FILE))) {
    if (!existsSync(join(load, INDEX_FILE)))
      throw new CheckpointError(`${join(load, INDEX_FILE)}: missing; ${load} is not a complete checkpoint`);
    return { kind: "checkpoint", dir: load, tag: name, via: load };
  }
  if (iteration !== null) {
    const dir = join(load, tagOf(iteration));
    if (!existsSync(dir)) throw new CheckpointError(`${dir}: no checkpoint for iteration ${iteration}`);
    return { kind: "checkpoint", dir, tag: tagOf(iteration), via: `${load} (iteration ${iteration})` };
  }
  const latest = join(load, LATEST_FILE);
  if (!existsSync(latest)) return { kind: "fresh", why: `${load} has no ${LATEST_FILE} file` };
  const tag = readFileSync(latest, "utf8").trim();
  if (!TAG_PATTERN.test(tag))
    throw new CheckpointError(
      `${latest}: expected a tag such as "global_step1000", found "${tag.slice(0, 60)}"`,
    );
  const dir = join(load, tag);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CheckpointError(`${latest} names "${tag}", but ${dir} does not exist`);
  return { kind: "checkpoint", dir, tag, via: `${latest} -> ${tag}` };
}

export interface ExpectedTensors {
  /** Parameter name -> shape. */
  params: ReadonlyMap<string, readonly number[]>;
  /** Optimizer state name -> shape, or null not to read the optimizer state. */
  optimizer: ReadonlyMap<string, readonly number[]> | null;
}

export interface LoadedCheckpoint {
  dir: string;
  index: CheckpointIndex;
  state: TrainerState;
  params: Map<string, Float32Array>;
  optimizer: Map<string, Float32Array> | null;
}

const shapeText = (s: readonly number[]) => `[${s.join(", ")}]`;

/** Reads and checks a checkpoint directory against the tensors the model and optimizer expect. */
export function readCheckpoint(dir: string, expected: ExpectedTensors): LoadedCheckpoint {
  const index = readJson<CheckpointIndex>(join(dir, INDEX_FILE));
  if (index.format !== CHECKPOINT_FORMAT || !Array.isArray(index.files))
    throw new CheckpointError(`${join(dir, INDEX_FILE)}: not a ${CHECKPOINT_FORMAT} index`);
  for (const f of index.files) {
    const path = join(dir, f.path);
    if (!existsSync(path)) throw new CheckpointError(`${path}: missing (listed in ${INDEX_FILE})`);
    const size = statSync(path).size;
    if (size !== f.bytes)
      throw new CheckpointError(`${path}: ${size} bytes, expected ${f.bytes} (truncated or replaced)`);
    if (sha256File(path) !== f.sha256)
      throw new CheckpointError(`${path}: content does not match its SHA-256 in ${INDEX_FILE} (damaged)`);
  }
  const state = readJson<TrainerState>(join(dir, STATE_FILE));
  if (state.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(`${join(dir, STATE_FILE)}: unknown format`);
  const params = readTensors(join(dir, MODEL_FILE), expected.params, "parameter");
  let optimizer: Map<string, Float32Array> | null = null;
  if (expected.optimizer) {
    if (!state.optimizer.hasState)
      throw new CheckpointError(
        `${dir}: saved without optimizer state (no_save_optim); set no_load_optim or finetune to load weights only`,
      );
    optimizer = readTensors(join(dir, OPTIM_FILE), expected.optimizer, "optimizer state");
  }
  return { dir, index, state, params, optimizer };
}

function readTensors(
  path: string,
  expected: ReadonlyMap<string, readonly number[]>,
  what: string,
): Map<string, Float32Array> {
  const f = SafetensorsFile.open(path);
  try {
    for (const [name, shape] of expected) {
      if (!f.has(name))
        throw new CheckpointError(`${path}: ${what} "${name}" ${shapeText(shape)} is missing`);
      const e = f.entry(name);
      if (e.dtype !== "F32")
        throw new CheckpointError(`${path}: ${what} "${name}" is ${e.dtype}, expected F32`);
      if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i]))
        throw new CheckpointError(
          `${path}: ${what} "${name}" has shape ${shapeText(e.shape)}, expected ${shapeText(shape)}`,
        );
    }
    const extra = f.names().filter((n) => !expected.has(n));
    if (extra.length > 0)
      throw new CheckpointError(
        `${path}: ${extra.length} tensor(s) the model does not have, e.g. "${extra[0]}" (a checkpoint of another architecture?)`,
      );
    const out = new Map<string, Float32Array>();
    for (const name of expected.keys()) out.set(name, f.readArray(name) as Float32Array);
    return out;
  } finally {
    f.close();
  }
}

function readJson<T>(path: string): T {
  if (!existsSync(path)) throw new CheckpointError(`${path}: missing`);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (e) {
    throw new CheckpointError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}
