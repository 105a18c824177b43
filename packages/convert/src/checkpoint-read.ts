// Reading a neox-ts checkpoint for export: the directory (a save directory through its `latest`,
// or one `global_stepN` directory), its resolved config and its weights. The file names and
// formats are the trainer's (@neox/models' checkpoint-format.ts).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { formatProblem, parseConfigText, type ResolvedConfig, resolveParsed } from "@neox/config";
import {
  CONFIG_FILE,
  INDEX_FILE,
  LATEST_FILE,
  MODEL_FILE,
  type ModelSpec,
  modelSpec,
  TAG_PATTERN,
} from "@neox/models";
import { SafetensorsFile } from "@neox/tensor";
import { ConvertError } from "./hf-map";

export interface OpenCheckpoint {
  /** The global_stepN directory, and how it was found. */
  dir: string;
  via: string;
  resolved: ResolvedConfig;
  spec: ModelSpec;
  /** The config files as given (configs/*.yml): basename -> text. */
  configFiles: Record<string, string>;
  weights: SafetensorsFile;
}

/** The global_stepN directory `path` names: itself, or the one its `latest` file names. */
export function checkpointDir(path: string): { dir: string; via: string } {
  if (!existsSync(path) || !statSync(path).isDirectory())
    throw new ConvertError(
      `${path}: expected a checkpoint directory (a save directory or a global_stepN directory)`,
    );
  if (existsSync(join(path, INDEX_FILE)) || existsSync(join(path, MODEL_FILE)))
    return { dir: path, via: path };
  const latest = join(path, LATEST_FILE);
  if (!existsSync(latest))
    throw new ConvertError(`${path}: no ${LATEST_FILE} file and no ${MODEL_FILE}; not a checkpoint`);
  const tag = readFileSync(latest, "utf8").trim();
  if (!TAG_PATTERN.test(tag))
    throw new ConvertError(
      `${latest}: expected a tag such as "global_step1000", found "${tag.slice(0, 60)}"`,
    );
  const dir = join(path, tag);
  if (!existsSync(join(dir, MODEL_FILE)))
    throw new ConvertError(`${latest} names "${tag}", but ${join(dir, MODEL_FILE)} does not exist`);
  return { dir, via: `${latest} -> ${tag}` };
}

/**
 * Opens a checkpoint: its config.json (the resolved values the run used) resolved again, with the
 * padded vocabulary taken from the embedding's rows, and its weights file's header.
 */
export function openCheckpoint(path: string): OpenCheckpoint {
  const { dir, via } = checkpointDir(path);
  const configPath = join(dir, CONFIG_FILE);
  if (!existsSync(configPath))
    throw new ConvertError(`${configPath}: missing; the checkpoint's config is needed to export it`);
  const parsed = parseConfigText(readFileSync(configPath, "utf8"), configPath);
  const r = resolveParsed([parsed], { vocabSize: null });
  if (r.problems.length > 0)
    throw new ConvertError(`${configPath}: ${r.problems.map(formatProblem).join("; ")}`);
  const weights = SafetensorsFile.open(join(dir, MODEL_FILE));
  try {
    const emb = "word_embeddings.weight";
    if (!weights.has(emb)) throw new ConvertError(`${weights.path}: no "${emb}" tensor`);
    const rows = weights.entry(emb).shape[0]!;
    const resolved: ResolvedConfig = { ...r, derived: { ...r.derived, padded_vocab_size: rows } };
    const configFiles: Record<string, string> = {};
    const configsDir = join(dir, "configs");
    if (existsSync(configsDir))
      for (const name of readdirSync(configsDir).sort())
        configFiles[name] = readFileSync(join(configsDir, name), "utf8");
    let spec: ModelSpec;
    try {
      spec = modelSpec(resolved);
    } catch (e) {
      throw new ConvertError(`${configPath}: ${(e as Error).message}`);
    }
    return { dir, via, resolved, spec, configFiles, weights };
  } catch (e) {
    weights.close();
    throw e;
  }
}
