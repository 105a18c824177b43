import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CONFIG_FILE,
  INDEX_FILE,
  LATEST_FILE,
  MODEL_FILE,
  STATE_FILE,
  writeTextSynced,
} from "@neox/models";
import { writeSafetensorsStream } from "@neox/tensor";

export interface CheckpointParam {
  name: string;
  shape: readonly number[];
  /** The fp32 values, asked for once, when the writer reaches this tensor. */
  data: () => Float32Array;
}

export interface NewCheckpoint {
  params: readonly CheckpointParam[];
  /** The resolved config values (config.json). */
  config: Readonly<Record<string, unknown>>;
  /** configs/<name> files: name -> text. */
  configFiles: Readonly<Record<string, string>>;
  seed: number;
  seqLength: number;
}

/** Writes `<save>/global_step0` and `<save>/latest` (save must exist; the caller owns atomicity). */
export function writeCheckpoint(save: string, c: NewCheckpoint): string {
  const tag = "global_step0";
  const dir = join(save, tag);
  mkdirSync(dir);
  const files: { path: string; bytes: number; sha256: string }[] = [];
  const tensors: Record<string, { file: string; shape: number[]; dtype: string }> = {};
  for (const p of c.params) tensors[p.name] = { file: MODEL_FILE, shape: [...p.shape], dtype: "F32" };
  const written = writeSafetensorsStream(
    join(dir, MODEL_FILE),
    c.params.map((p) => ({ name: p.name, dtype: "F32", shape: p.shape, data: p.data })),
    { format: CHECKPOINT_FORMAT, iteration: "0" },
  );
  files.push({ path: MODEL_FILE, bytes: written.bytes, sha256: written.sha256 });
  const state = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    iteration: 0,
    optimizerStep: 0,
    optimizer: { kind: "none", hyper: {}, hasState: false },
    scheduler: {},
    lossScaler: null,
    data: { train: 0, valid: 0 },
    seed: c.seed,
    precision: "fp32",
    batch: { micro: 1, gas: 1, dataParallel: 1, seqLength: c.seqLength },
    skipped: 0,
  };
  files.push({
    path: STATE_FILE,
    ...writeTextSynced(join(dir, STATE_FILE), `${JSON.stringify(state, null, 1)}\n`),
  });
  files.push({
    path: CONFIG_FILE,
    ...writeTextSynced(join(dir, CONFIG_FILE), `${JSON.stringify(c.config, null, 1)}\n`),
  });
  if (Object.keys(c.configFiles).length > 0) mkdirSync(join(dir, "configs"));
  for (const [name, text] of Object.entries(c.configFiles))
    files.push({ path: `configs/${name}`, ...writeTextSynced(join(dir, "configs", name), text) });
  const index = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, iteration: 0, files, tensors };
  writeTextSynced(join(dir, INDEX_FILE), `${JSON.stringify(index, null, 1)}\n`);
  writeTextSynced(join(save, LATEST_FILE), `${tag}\n`);
  return dir;
}
