// Writing a neox-ts checkpoint from converted weights, in the trainer's format (restated from
// packages/trainer/src/checkpoint/layout.ts, which @neox/convert may not import; the end-to-end
// test fine-tunes from a written checkpoint with `neox train`, so a drift shows up there):
//
//   <out>/latest                  "global_step0"
//   <out>/global_step0/
//     model.safetensors           every parameter, F32, by our names
//     trainer_state.json          iteration 0, no optimizer state (fine-tune, not resume)
//     config.json                 the resolved config values
//     configs/<name>.yml          the config as written for the user
//     index.json                  every file's size and SHA-256, every tensor's shape; written last
import { createHash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensorsStream } from "@neox/tensor";

export const CKPT_FORMAT = "neox-ts-checkpoint";
export const CKPT_VERSION = 1;
export const CKPT_MODEL_FILE = "model.safetensors";
export const CKPT_STATE_FILE = "trainer_state.json";
export const CKPT_CONFIG_FILE = "config.json";
export const CKPT_INDEX_FILE = "index.json";
export const CKPT_LATEST_FILE = "latest";
export const CKPT_TAG = /^global_step(\d+)$/;

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
  for (const p of c.params) tensors[p.name] = { file: CKPT_MODEL_FILE, shape: [...p.shape], dtype: "F32" };
  const written = writeSafetensorsStream(
    join(dir, CKPT_MODEL_FILE),
    c.params.map((p) => ({ name: p.name, dtype: "F32", shape: p.shape, data: p.data })),
    { format: CKPT_FORMAT, iteration: "0" },
  );
  files.push({ path: CKPT_MODEL_FILE, bytes: written.bytes, sha256: written.sha256 });
  const state = {
    format: CKPT_FORMAT,
    version: CKPT_VERSION,
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
    path: CKPT_STATE_FILE,
    ...writeText(join(dir, CKPT_STATE_FILE), `${JSON.stringify(state, null, 1)}\n`),
  });
  files.push({
    path: CKPT_CONFIG_FILE,
    ...writeText(join(dir, CKPT_CONFIG_FILE), `${JSON.stringify(c.config, null, 1)}\n`),
  });
  if (Object.keys(c.configFiles).length > 0) mkdirSync(join(dir, "configs"));
  for (const [name, text] of Object.entries(c.configFiles))
    files.push({ path: `configs/${name}`, ...writeText(join(dir, "configs", name), text) });
  const index = { format: CKPT_FORMAT, version: CKPT_VERSION, iteration: 0, files, tensors };
  writeText(join(dir, CKPT_INDEX_FILE), `${JSON.stringify(index, null, 1)}\n`);
  writeText(join(save, CKPT_LATEST_FILE), `${tag}\n`);
  return dir;
}

/** Writes and fsyncs a text file; returns its size and SHA-256. */
export function writeText(path: string, text: string): { bytes: number; sha256: string } {
  const bytes = Buffer.from(text, "utf8");
  const fd = openSync(path, "w");
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}
