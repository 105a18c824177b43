// `--set key=value` overrides. The value is read as YAML (so `--set hidden_dropout=0.1`,
// `--set no_weight_tying=true`, `--set 'attention_config=[[["flash"], 2]]'` all work); a dotted key
// reaches inside a DeepSpeed dict (`--set optimizer.params.lr=3e-4`).
import type { Problem, SourceRef } from "../problems";
import { normaliseTopKey, parseConfigText } from "./yaml-file";

export interface ParsedOverrides {
  values: Record<string, unknown>;
  sources: Map<string, SourceRef>;
  problems: Problem[];
}

export const OVERRIDE_SOURCE = "--set";

export function parseOverrides(items: readonly string[]): ParsedOverrides {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, SourceRef>();
  const problems: Problem[] = [];
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) {
      problems.push({
        kind: "yaml_syntax",
        file: OVERRIDE_SOURCE,
        message: `--set expects key=value, got "${item}"`,
      });
      continue;
    }
    const path = item.slice(0, eq).trim().split(".");
    path[0] = normaliseTopKey(path[0]!);
    const parsed = parseConfigText(`v: ${item.slice(eq + 1)}\n`, OVERRIDE_SOURCE);
    if (parsed.problems.length > 0) {
      problems.push({
        kind: "yaml_syntax",
        key: path.join("."),
        file: OVERRIDE_SOURCE,
        message: `--set ${item}: the value is not valid YAML (${parsed.problems[0]!.message})`,
      });
      continue;
    }
    let dst = values;
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i]!;
      if (typeof dst[k] !== "object" || dst[k] === null) dst[k] = {};
      dst = dst[k] as Record<string, unknown>;
    }
    dst[path[path.length - 1]!] = parsed.values.v;
    sources.set(path.join("."), { file: OVERRIDE_SOURCE, line: 0 });
  }
  return { values, sources, problems };
}
