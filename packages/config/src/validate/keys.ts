// Per-key checks: unknown keys (with a "did you mean"), types, Literal choices, ranges, keys this
// backend does not support yet, and notes for keys accepted with no effect here.

import { ALIASES } from "../args/aliases";
import { ARGS_BY_NAME, unsupportedMessage } from "../args/index";
import { isPlainObject } from "../load/merge";
import type { Problem, SourceRef } from "../problems";
import { outOfRange, splitProblem } from "./ranges";
import { canonicalLiteral, typeMismatch } from "./types";

export interface KeyCheck {
  /** Known keys with Literal values in their canonical spelling. */
  values: Record<string, unknown>;
  problems: Problem[];
  notes: { key: string; file?: string; line?: number; message: string }[];
}

export function checkKeys(
  input: Readonly<Record<string, unknown>>,
  sources: ReadonlyMap<string, SourceRef>,
): KeyCheck {
  const out: KeyCheck = { values: {}, problems: [], notes: [] };
  const where = (key: string) => {
    const s = sources.get(key);
    return s ? { file: s.file, line: s.line } : {};
  };
  for (const [key, value] of Object.entries(input)) {
    const decl = ARGS_BY_NAME.get(key);
    if (!decl) {
      const hint = suggest(key);
      out.problems.push({
        kind: "unknown_key",
        key,
        ...where(key),
        message: `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      });
      continue;
    }
    const bad = typeMismatch(value, decl.type);
    if (bad) {
      out.problems.push({ kind: "type", key, ...where(key), message: `${key}: ${bad}` });
      continue;
    }
    const v = canonicalLiteral(value, decl.type);
    out.values[key] = v;
    const range = outOfRange(key, v) ?? (key === "split" ? splitProblem(v) : undefined);
    if (range) {
      out.problems.push({
        kind: "range",
        key,
        ...where(key),
        message:
          key === "split"
            ? `split: ${range}`
            : `${key}: ${JSON.stringify(v)} is out of range (expected ${range})`,
      });
    }
    if (key === "deepspeed_extra_args" && isPlainObject(v))
      out.problems.push(...checkExtraArgs(v, input, where));
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
 * `deepspeed_extra_args` entries go to DeepSpeed as if set at top level, so each is checked like the
 * top-level key of the same name; GPT-NeoX refuses an entry that is also set at top level.
 */
function checkExtraArgs(
  extra: Record<string, unknown>,
  top: Readonly<Record<string, unknown>>,
  where: (path: string) => { file?: string; line?: number },
): Problem[] {
  const problems: Problem[] = [];
  for (const [k, x] of Object.entries(extra)) {
    const path = `deepspeed_extra_args.${k}`;
    const decl = ARGS_BY_NAME.get(k);
    if (!decl) {
      const hint = suggest(k);
      problems.push({
        kind: "unknown_key",
        key: path,
        ...where(path),
        message: `unknown key "${k}" in deepspeed_extra_args${hint ? ` (did you mean "${hint}"?)` : ""}`,
      });
      continue;
    }
    if (k in top) {
      problems.push({
        kind: "combination",
        key: path,
        ...where(path),
        message: `${k} is set both at top level and in deepspeed_extra_args`,
      });
    }
    const bad = typeMismatch(x, decl.type);
    if (bad) {
      problems.push({ kind: "type", key: path, ...where(path), message: `${path}: ${bad}` });
      continue;
    }
    const refused = unsupportedMessage(decl, canonicalLiteral(x, decl.type));
    if (refused) problems.push({ kind: "unsupported", key: path, ...where(path), message: refused });
  }
  return problems;
}

const KNOWN = (): string[] => [...ARGS_BY_NAME.keys(), ...ALIASES.map((a) => a.alias)];

/** The closest known key by edit distance, when it is close enough to be a likely typo. */
export function suggest(key: string): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of KNOWN()) {
    const d = editDistance(key, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
