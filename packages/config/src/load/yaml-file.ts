// Reads one YAML or JSON config file the way GPT-NeoX's PyYAML FullLoader does, keeping the line
// of every key. Differences from PyYAML, on purpose: numbers written like `6e-4` are numbers (PyYAML
// 1.1 needs a dot and reads them as strings); a key repeated within one file is an error naming both
// lines (PyYAML silently keeps the last).
import {
  isMap,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
  Scalar,
  type ScalarTag,
  type YAMLMap,
} from "yaml";
import type { Problem, SourceRef } from "../problems";

export interface ParsedFile {
  file: string;
  /** Top-level keys normalised (dashes to underscores); nested keys as written. */
  values: Record<string, unknown>;
  /** Source of each top-level key and of each nested key as a dotted path (`optimizer.params.lr`). */
  sources: Map<string, SourceRef>;
  problems: Problem[];
}

// PyYAML's YAML 1.1 booleans: yes/no/true/false/on/off in three casings; unlike the `yaml`
// package's 1.1 schema it does not read a bare `y` or `n` as a boolean.
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const pyBool = (value: boolean, test: RegExp): ScalarTag => ({
  identify: (v) => v === value,
  default: true,
  tag: "tag:yaml.org,2002:bool",
  test,
  resolve: () => new Scalar(value),
});

const PARSE_OPTIONS = {
  version: "1.1" as const,
  uniqueKeys: false,
  merge: true,
  customTags: (tags: unknown[]) => [
    pyBool(true, PY_TRUE),
    pyBool(false, PY_FALSE),
    ...tags.filter((t) => (t as { tag?: string }).tag !== "tag:yaml.org,2002:bool"),
  ],
};

export function normaliseTopKey(key: string): string {
  return key.replace(/-/g, "_");
}

/** Parses config text. `file` is used only to label sources and problems. */
export function parseConfigText(text: string, file: string): ParsedFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter: lc, prettyErrors: false } as never);
  const problems: Problem[] = [];
  const sources = new Map<string, SourceRef>();
  const at = (offset: number): SourceRef => {
    const { line, col } = lc.linePos(offset);
    return { file, line, column: col };
  };

  for (const err of doc.errors) {
    const pos = at(err.pos[0]);
    problems.push({
      kind: "yaml_syntax",
      file,
      line: pos.line,
      column: pos.column,
      message: err.message.split("\n")[0]!,
    });
  }
  if (problems.length > 0) return { file, values: {}, sources, problems };

  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) {
    return { file, values: {}, sources, problems }; // an empty file is an empty config
  }
  if (!isMap(root)) {
    const pos = at(root.range?.[0] ?? 0);
    problems.push({
      kind: "yaml_syntax",
      file,
      line: pos.line,
      column: pos.column,
      message: "a config file must be a mapping of keys to values at the top level",
    });
    return { file, values: {}, sources, problems };
  }

  const values: Record<string, unknown> = {};
  walkMap(root, "", true, values, sources, problems, at, file);
  return { file, values, sources, problems };
}

function walkMap(
  map: YAMLMap,
  prefix: string,
  topLevel: boolean,
  out: Record<string, unknown>,
  sources: Map<string, SourceRef>,
  problems: Problem[],
  at: (offset: number) => SourceRef,
  file: string,
): void {
  const seen = new Map<string, number>();
  for (const pair of map.items) {
    const keyNode = pair.key as Node | null;
    const rawKey = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const key = topLevel ? normaliseTopKey(rawKey) : rawKey;
    const pos = at(keyNode?.range?.[0] ?? 0);
    const path = prefix ? `${prefix}.${key}` : key;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({
        kind: "yaml_syntax",
        key: path,
        file,
        line: pos.line,
        column: pos.column,
        message: `duplicate key "${rawKey}" at lines ${first} and ${pos.line}`,
      });
      continue;
    }
    seen.set(key, pos.line);
    sources.set(path, pos);
    const valueNode = pair.value as Node | null;
    if (isMap(valueNode)) {
      const nested: Record<string, unknown> = {};
      walkMap(valueNode, path, false, nested, sources, problems, at, file);
      out[key] = nested;
    } else {
      out[key] = valueNode === null ? null : (valueNode as { toJSON(): unknown }).toJSON();
    }
  }
}
