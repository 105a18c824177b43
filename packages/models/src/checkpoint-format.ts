// The names of a neox-ts checkpoint directory, shared by the trainer that writes and resumes them,
// @neox/convert that writes them from Hugging Face weights, and the loaders here that read their
// weights (DESIGN §8; the layout in full: packages/trainer/src/checkpoint/layout.ts).
//
//   <save>/latest              the newest tag, e.g. "global_step1000"
//   <save>/global_step{N}/     model.safetensors, trainer_state.json, config.json, index.json, ...
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";

export const CHECKPOINT_FORMAT = "neox-ts-checkpoint";
export const CHECKPOINT_VERSION = 1;
export const MODEL_FILE = "model.safetensors";
export const STATE_FILE = "trainer_state.json";
export const CONFIG_FILE = "config.json";
export const INDEX_FILE = "index.json";
export const LATEST_FILE = "latest";

export const tagOf = (iteration: number): string => `global_step${iteration}`;
export const TAG_PATTERN = /^global_step(\d+)$/;

// A tag is one path component: `latest` must not send a reader outside the save directory.
const TAG = /^[A-Za-z0-9_.-]+$/;

/**
 * The directory `<save>/latest` names, or null when `save` has no `latest` file. Throws (an Error
 * made by `fail`) naming the file when the tag is not one path component or names no directory.
 */
export function followLatest(
  save: string,
  fail: (message: string) => Error = (m) => new Error(m),
): { dir: string; tag: string; via: string } | null {
  const latest = join(save, LATEST_FILE);
  if (!existsSync(latest) || !statSync(latest).isFile()) return null;
  const tag = readFileSync(latest, "utf8").trim();
  if (!TAG.test(tag))
    throw fail(
      `${latest}: expected one checkpoint tag such as "global_step1000", found "${tag.slice(0, 60)}"`,
    );
  const dir = join(save, tag);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw fail(`${latest} names "${tag}", but ${dir} is not a directory`);
  return { dir, tag, via: `${latest} -> ${tag}` };
}

/** Writes and fsyncs a text file; returns its size and SHA-256 (the index's entry for it). */
export function writeTextSynced(path: string, text: string): { bytes: number; sha256: string } {
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
