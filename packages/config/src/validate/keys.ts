// Per-key checks: unknown keys (with a "did you mean"), types, Literal choices, ranges, finite
// numbers, the keys inside declared dicts, keys this backend does not support yet, and notes for
// keys accepted with no effect here.

import { ALIASES } from "../args/aliases";
import { ARGS_BY_NAME, unsupportedMessage } from "../args/index";
import { MAX_REPORTED_PROBLEMS } from "../load/limits";
import { isPlainObject } from "../load/merge";
import { type Problem, preview, quote, type SourceRef } from "../problems";
import type { ArgDecl } from "../schema/types";
import { checkStruct, structOf } from "./nested";
import { outOfRange, splitProblem } from "./ranges";
import { closest, HintBudget } from "./suggest";
import { canonicalLiteral, numericProblem, typeMismatch } from "./types";

export interface KeyCheck {
  /** Known keys with Literal values in their canonical spelling. */
  values: Record<string, unknown>;
  problems: Problem[];
  notes: { key: string; file?: string; line?: number; message: string }[];
}

/** The source of `path`, or of the nearest dict above it (a value inside an alias or a `--set` dict). */
export function sourceOf(sources: ReadonlyMap<string, SourceRef>, path: string): SourceRef | undefined {
  for (let p = path; ; p = p.slice(0, p.lastIndexOf("."))) {
    const s = sources.get(p);
    if (s || !p.includes(".")) return s;
  }
}

export function checkKeys(
  input: Readonly<Record<string, unknown>>,
  sources: ReadonlyMap<string, SourceRef>,
): KeyCheck {
  const out: KeyCheck = { values: {}, problems: [], notes: [] };
  const where = (key: string) => {
    const s = sourceOf(sources, key);
    return s ? { file: s.file, line: s.line } : {};
  };
  const hints = new HintBudget(MAX_REPORTED_PROBLEMS);
  for (const [key, value] of Object.entries(input)) {
    const decl = ARGS_BY_NAME.get(key);
    if (!decl) {
      const hint = hints.closest(key, knownKeys());
      out.problems.push({
        kind: "unknown_key",
        key,
        ...where(key),
        message: `unknown key ${quote(key)}${hint ? ` (did you mean "${hint}"?)` : ""}`,
      });
      continue;
    }
    const bad = valueProblem(key, value, decl, key, where);
    if (bad) {
      out.problems.push(bad);
      if (bad.kind === "type") continue;
    }
    const v = canonicalLiteral(value, decl.type);
    out.values[key] = v;
    const split = key === "split" ? splitProblem(v) : undefined;
    if (split) out.problems.push({ kind: "range", key, ...where(key), message: `split: ${split}` });
    const inner = structOf(decl.type);
    if (inner && isPlainObject(v)) out.problems.push(...checkStruct(key, v, inner, where, hints));
    if (key === "deepspeed_extra_args" && isPlainObject(v))
      out.problems.push(...checkExtraArgs(v, input, where, hints));
    const s = decl.support;
    const refused = unsupportedMessage(decl, v);
    if (refused) {
      out.problems.push({ kind: "unsupported", key, ...where(key), message: refused });
    } else if (s.status === "no_effect") {
      out.notes.push({ key, ...where(key), message: `${key} has no effect on this backend: ${s.note}` });
    }
  }
  return out;
}

/**
 * The type or range problem of one top-level value (or deepspeed_extra_args entry at `path`); a
 * value out of range is still used, so derived values are shown, a value of the wrong type is not.
 */
function valueProblem(
  key: string,
  value: unknown,
  decl: ArgDecl,
  path: string,
  where: (path: string) => { file?: string; line?: number },
): Problem | undefined {
  const bad = typeMismatch(value, decl.type);
  if (bad) return { kind: "type", key: path, ...where(path), message: `${path}: ${bad}` };
  const v = canonicalLiteral(value, decl.type);
  // a size past its bound reads better as "out of range" than as "beyond 2^53"; NaN/∞ as "finite"
  const finite = typeof v !== "number" || Number.isFinite(v);
  const range = finite ? outOfRange(key, v) : undefined;
  const numeric = range ? undefined : numericProblem(v, decl.type);
  if (numeric || range)
    return {
      kind: "range",
      key: path,
      ...where(path),
      message: numeric
        ? `${path}: ${numeric}`
        : `${path}: ${preview(v, 60)} is out of range (expected ${range})`,
    };
  return undefined;
}

/**
 * `deepspeed_extra_args` entries go to DeepSpeed as if set at top level, so each is checked like the
 * top-level key of the same name; GPT-NeoX refuses an entry that is also set at top level.
 */
function checkExtraArgs(
  extra: Record<string, unknown>,
  top: Readonly<Record<string, unknown>>,
  where: (path: string) => { file?: string; line?: number },
  hints: HintBudget,
): Problem[] {
  const problems: Problem[] = [];
  for (const [k, x] of Object.entries(extra)) {
    const path = `deepspeed_extra_args.${k}`;
    const decl = ARGS_BY_NAME.get(k);
    if (!decl) {
      const hint = hints.closest(k, knownKeys());
      problems.push({
        kind: "unknown_key",
        key: path,
        ...where(path),
        message: `unknown key ${quote(k)} in deepspeed_extra_args${hint ? ` (did you mean "${hint}"?)` : ""}`,
      });
      continue;
    }
    if (Object.hasOwn(top, k)) {
      problems.push({
        kind: "combination",
        key: path,
        ...where(path),
        message: `${k} is set both at top level and in deepspeed_extra_args`,
      });
    }
    const bad = valueProblem(k, x, decl, path, where);
    if (bad) {
      problems.push(bad);
      if (bad.kind === "type") continue;
    }
    const v = canonicalLiteral(x, decl.type);
    const inner = structOf(decl.type);
    if (inner && isPlainObject(v)) problems.push(...checkStruct(path, v, inner, where, hints, k));
    const refused = unsupportedMessage(decl, v);
    if (refused) problems.push({ kind: "unsupported", key: path, ...where(path), message: refused });
  }
  return problems;
}

let known: string[] | undefined;
const knownKeys = (): string[] => (known ??= [...ARGS_BY_NAME.keys(), ...ALIASES.map((a) => a.alias)]);

/** The closest known key by edit distance, when it is close enough to be a likely typo. */
export function suggest(key: string): string | undefined {
  return closest(key, knownKeys());
}
