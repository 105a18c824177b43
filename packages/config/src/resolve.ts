// The config pipeline: read files → merge left to right → `--set` overrides → aliases → defaults →
// validate (every problem at once) → derive. `resolveConfig` never throws for a bad config; it
// returns the problems. `loadConfig` throws a ConfigError carrying all of them.
import { basename } from "node:path";
import { ALIASES } from "./args/aliases";
import { ARGS_BY_NAME } from "./args/index";
import { type Derived, derive, paddedVocab } from "./derive";
import { MAX_REPORTED_PROBLEMS } from "./load/limits";
import { emptyMerged, mergeLayer } from "./load/merge";
import { parseOverrides } from "./load/overrides";
import { readConfigFile } from "./load/read-file";
import { type ParsedFile, parseConfigText } from "./load/yaml-file";
import { ConfigError, type Problem, type SourceRef } from "./problems";
import { combinationProblems } from "./validate/combinations";
import { checkKeys, sourceOf } from "./validate/keys";

export interface ResolveOptions {
  /** `key=value` overrides applied after every file. */
  overrides?: readonly string[];
  /** Processes in the job (see Derived.world_size). */
  worldSize?: number;
  /** The tokenizer's vocabulary size, for padded_vocab_size; null or absent when unknown. */
  vocabSize?: number | null;
  /** Report `incomplete` and `world_size` even for a fragment that does not define a model. */
  complete?: boolean;
}

export interface Note {
  key: string;
  file?: string;
  line?: number;
  message: string;
}

export interface ResolvedConfig {
  files: readonly string[];
  /** Every declared key: the value given, or GPT-NeoX's default. Canonical names, Literal spellings. */
  values: Readonly<Record<string, unknown>>;
  /** Keys set by a file or by `--set` (after aliases). */
  given: ReadonlySet<string>;
  /** Where each given value came from, by key or dotted path inside a dict. */
  sources: ReadonlyMap<string, SourceRef>;
  derived: Readonly<Derived>;
  problems: readonly Problem[];
  notes: readonly Note[];
  /** GPT-NeoX's `config_files`: basename → original text, snapshotted into checkpoints. */
  configFiles: Readonly<Record<string, string>>;
}

/** Keys GPT-NeoX refuses to start without (validate_values). */
export const NEOX_REQUIRED_KEYS = [
  "num_layers",
  "hidden_size",
  "num_attention_heads",
  "max_position_embeddings",
];
/** Keys training needs on top of those (`config check --complete`, `loadConfig`). */
export const TRAIN_REQUIRED_KEYS = ["seq_length"];

export function resolveConfig(files: readonly string[], opts: ResolveOptions = {}): ResolvedConfig {
  const parsed: ParsedFile[] = [];
  const problems: Problem[] = [];
  const configFiles: Record<string, string> = {};
  for (const file of files) {
    const read = readConfigFile(file);
    if (read.problem) {
      problems.push(read.problem);
      continue;
    }
    const text = read.text;
    configFiles[basename(file)] = text;
    const p = parseConfigText(text, file);
    problems.push(...p.problems);
    parsed.push(p);
  }
  return resolveParsed(parsed, opts, problems, files, configFiles);
}

/** Resolves already-parsed layers (used by tests and by callers holding config text in memory). */
export function resolveParsed(
  parsed: readonly ParsedFile[],
  opts: ResolveOptions,
  problems: Problem[] = [],
  files: readonly string[] = parsed.map((p) => p.file),
  configFiles: Record<string, string> = {},
): ResolvedConfig {
  const merged = emptyMerged();
  for (const p of parsed) mergeLayer(merged, p.values, p.sources);
  const overrides = parseOverrides(opts.overrides ?? []);
  problems.push(...overrides.problems);
  mergeLayer(merged, overrides.values, overrides.sources);

  applyAliases(merged.values, merged.sources, problems);
  const keyCheck = checkKeys(merged.values, merged.sources);
  problems.push(...keyCheck.problems);

  const values: Record<string, unknown> = {};
  for (const [name, decl] of ARGS_BY_NAME) values[name] = structuredClone(decl.default);
  const given = new Set<string>();
  for (const [k, v] of Object.entries(keyCheck.values)) {
    values[k] = v;
    given.add(k);
  }

  const where = (key: string) => {
    const s = sourceOf(merged.sources, key);
    return s ? { file: s.file, line: s.line } : {};
  };
  // A fragment is checked for what it says; files that define a model must also carry what
  // GPT-NeoX itself requires (validate_values + calculate_derived); --complete asks for a
  // trainable config on top of that.
  const definesModel = ["num_layers", "hidden_size", "num_attention_heads"].every((k) => given.has(k));
  const complete = opts.complete === true || definesModel;
  if (complete) {
    const required = opts.complete ? [...NEOX_REQUIRED_KEYS, ...TRAIN_REQUIRED_KEYS] : NEOX_REQUIRED_KEYS;
    for (const k of required) {
      if (values[k] == null)
        problems.push({ kind: "incomplete", key: k, message: `${k} is required and not set` });
    }
    if (opts.complete && values.train_iters == null && values.train_epochs == null) {
      problems.push({ kind: "incomplete", key: "train_iters", message: "set train_iters or train_epochs" });
    }
  }
  for (const p of combinationProblems({ values, given, complete }))
    problems.push({ ...p, ...(p.key ? where(p.key) : {}) });

  const { derived, problems: deriveProblems } = derive(values, {
    ...(opts.worldSize !== undefined ? { worldSize: opts.worldSize } : {}),
    vocabSize: opts.vocabSize ?? null,
  });
  for (const p of deriveProblems) {
    if (!complete && (p.kind === "world_size" || p.kind === "incomplete")) continue;
    // batch/world-size consistency is meaningful only once a model (and its batch) is defined
    if (!complete && p.key === "train_batch_size") continue;
    problems.push({ ...p, ...(p.key ? where(p.key) : {}) });
  }
  return {
    files,
    values: deepFreeze(values),
    given,
    sources: merged.sources,
    derived: deepFreeze(derived),
    problems: capped(dedupe(problems)),
    notes: keyCheck.notes,
    configFiles,
  };
}

/**
 * The same config with padded_vocab_size for a tokenizer vocabulary of `vocabSize` (the tokenizer is
 * named by the config itself, so callers resolve first, load it, then attach its size here).
 */
export function withVocabSize(r: ResolvedConfig, vocabSize: number | null): ResolvedConfig {
  const divisible =
    typeof r.values.make_vocab_size_divisible_by === "number" ? r.values.make_vocab_size_divisible_by : 128;
  const padded = paddedVocab(vocabSize, divisible, r.derived.model_parallel_size);
  return { ...r, derived: deepFreeze({ ...r.derived, padded_vocab_size: padded }) };
}

/** Resolves and throws a ConfigError carrying every problem, if there is any. */
export function loadConfig(files: readonly string[], opts: ResolveOptions = {}): ResolvedConfig {
  const r = resolveConfig(files, { ...opts, complete: opts.complete ?? true });
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return r;
}

/** Rewrites positive aliases (`tie_embeddings`) to GPT-NeoX's keys (`no_weight_tying`, inverted). */
function applyAliases(
  values: Record<string, unknown>,
  sources: Map<string, SourceRef>,
  problems: Problem[],
): void {
  for (const { alias, canonical, invert } of ALIASES) {
    if (!(alias in values)) continue;
    const raw = values[alias];
    const v = invert && typeof raw === "boolean" ? !raw : raw;
    const src = sources.get(alias);
    if (canonical in values && values[canonical] !== v) {
      const other = sources.get(canonical);
      problems.push({
        kind: "combination",
        key: alias,
        ...(src ? { file: src.file, line: src.line } : {}),
        message: `${alias}: ${JSON.stringify(raw)} contradicts ${canonical}: ${JSON.stringify(values[canonical])}${other ? ` (${other.file}:${other.line})` : ""}`,
      });
    }
    delete values[alias];
    sources.delete(alias);
    if (!(canonical in values)) {
      values[canonical] = v;
      if (src) sources.set(canonical, src);
    }
  }
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.kind}|${p.key}|${p.file}|${p.line}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * At most MAX_REPORTED_PROBLEMS, the last saying how many more there were: a file of 100,000
 * misspelt keys gets a readable report, not 100,000 lines.
 */
function capped(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_REPORTED_PROBLEMS) return problems;
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS - 1);
  const rest = problems.length - shown.length;
  const kinds = [...new Set(problems.slice(shown.length).map((p) => p.kind))].join(", ");
  shown.push({
    kind: problems[shown.length]!.kind,
    message: `${rest} more problems not listed (${kinds}); fix the ones above and check again`,
  });
  return shown;
}

/** The resolved config is read-only all the way down; runtime state lives elsewhere. */
function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
