// Where a model's weights are: the safetensors files of a checkpoint directory. A trainer's save
// directory names its newest checkpoint in a `latest` text file (GPT-NeoX/DeepSpeed write the tag,
// `global_step1000`, there); a `global_stepN` directory, or any directory of `*.safetensors`
// files, holds the tensors directly. One `.safetensors` file is taken as it is.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { followLatest } from "./checkpoint-format";

/** A weight file or directory that does not fit the model: the message names the file and tensor. */
export class WeightLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WeightLoadError";
  }
}

export interface WeightFiles {
  /** The directory the files are in (after following `latest`). */
  dir: string;
  /** The `*.safetensors` files, sorted by name. */
  files: string[];
  /** How the directory was found: the path itself, or `<save>/latest -> global_stepN`. */
  via: string;
}

export function findWeightFiles(path: string): WeightFiles {
  if (!existsSync(path)) throw new WeightLoadError(`${path}: no such file or directory`);
  const st = statSync(path);
  if (st.isFile()) {
    if (!path.endsWith(".safetensors"))
      throw new WeightLoadError(`${path}: expected a directory or a .safetensors file`);
    return { dir: join(path, ".."), files: [path], via: path };
  }
  if (!st.isDirectory()) throw new WeightLoadError(`${path}: not a directory or a regular file`);
  const found = followLatest(path, (m) => new WeightLoadError(m));
  const dir = found?.dir ?? path;
  const via = found?.via ?? path;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".safetensors"))
    .sort()
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
  if (files.length === 0) {
    const steps = readdirSync(dir).filter((f) => /^global_step\d+$/.test(f));
    const hint =
      steps.length > 0
        ? ` (it holds ${steps.slice(0, 3).join(", ")}${steps.length > 3 ? ", ..." : ""} but no "latest" file: pass one of them)`
        : "";
    throw new WeightLoadError(`${dir}: expected *.safetensors files, found none${hint}`);
  }
  return { dir, files, via };
}
