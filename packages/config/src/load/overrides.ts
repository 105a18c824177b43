// `--set key=value` overrides. The value is read as YAML (so `--set hidden_dropout=0.1`,
// `--set no_weight_tying=true`, `--set 'attention_config=[[["flash"], 2]]'` all work); a dotted key
// reaches inside a DeepSpeed dict (`--set optimizer.params.lr=3e-4`). Each value remembers its
// override ("--set optimizer.params.lr=3e-4 (command line)") as its source, so `config show` and
// every problem credit the command line, not the file the dict came from.
import { type Problem, preview, type SourceRef } from "../problems";
import { MAX_OVERRIDE_SEGMENTS } from "./limits";
import { getOwn, isPlainObject, setOwn, subtreePaths } from "./merge";
import { normaliseTopKey, parseConfigValue } from "./yaml-file";

export interface ParsedOverrides {
  values: Record<string, unknown>;
  sources: Map<string, SourceRef>;
  problems: Problem[];
}

export const OVERRIDE_SOURCE = "--set";

/** How a `--set` item is named as a source: the item itself (cut short), then "(command line)". */
export function overrideSource(item: string): string {
  return `--set ${preview(item, 100)} (command line)`;
}

export function parseOverrides(items: readonly string[]): ParsedOverrides {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, SourceRef>();
  const problems: Problem[] = [];
  for (const item of items) {
    const label = overrideSource(item);
    const refuse = (message: string, key?: string) =>
      problems.push({ kind: "yaml_syntax", ...(key ? { key } : {}), file: label, message });
    const eq = item.indexOf("=");
    if (eq <= 0) {
      refuse(`--set expects key=value, got ${JSON.stringify(preview(item))}`);
      continue;
    }
    const path = item.slice(0, eq).trim().split(".");
    if (path.some((seg) => seg.trim() === "")) {
      refuse(`--set ${preview(item.slice(0, eq))}: a key path has no empty parts (write a.b.c)`);
      continue;
    }
    if (path.length > MAX_OVERRIDE_SEGMENTS) {
      refuse(`--set: a key path of ${path.length} parts; at most ${MAX_OVERRIDE_SEGMENTS} are allowed`);
      continue;
    }
    path[0] = normaliseTopKey(path[0]!);
    const key = path.join(".");
    const parsed = parseConfigValue(item.slice(eq + 1), label);
    if (parsed.problems.length > 0) {
      const p = parsed.problems[0]!;
      problems.push({ ...p, key, message: `the value is not valid YAML (${p.message})` });
      continue;
    }
    let dst = values;
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i]!;
      const cur = getOwn(dst, k);
      if (!isPlainObject(cur)) setOwn(dst, k, {});
      dst = getOwn(dst, k) as Record<string, unknown>;
    }
    const last = path[path.length - 1]!;
    // a later override replaces what an earlier one set below the same key
    const old = getOwn(dst, last);
    if (isPlainObject(old)) for (const p of subtreePaths(old, key)) sources.delete(p);
    setOwn(dst, last, parsed.value);
    sources.set(key, { file: label, line: 0 });
    // a dict value sets every key inside it, and merges key by key into the files' dict
    if (isPlainObject(parsed.value))
      for (const p of subtreePaths(parsed.value, key)) sources.set(p, { file: label, line: 0 });
  }
  return { values, sources, problems };
}
