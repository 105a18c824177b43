// Reads one YAML or JSON config file the way GPT-NeoX's PyYAML FullLoader does, keeping the line
// of every key. Differences from PyYAML, on purpose: numbers written like `6e-4` are numbers (PyYAML
// 1.1 needs a dot and reads them as strings); a key repeated within one file is an error naming both
// lines (PyYAML silently keeps the last). Aliases (`*name`) and merge keys (`<<: *name`) expand as
// in PyYAML, counted against MAX_EXPANDED_NODES and MAX_CONFIG_DEPTH so that they cannot explode.
import { isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type YAMLMap } from "yaml";
import { type Problem, quote, type SourceRef } from "../problems";
import { LIMIT_HINT, MAX_CONFIG_DEPTH, MAX_EXPANDED_NODES } from "./limits";
import { setOwn } from "./merge";
import { parseYaml } from "./yaml-parse";

export interface ParsedFile {
  file: string;
  /** Top-level keys normalised (dashes to underscores); nested keys as written. */
  values: Record<string, unknown>;
  /** Source of each top-level key and of each nested key as a dotted path (`optimizer.params.lr`). */
  sources: Map<string, SourceRef>;
  problems: Problem[];
}

export function normaliseTopKey(key: string): string {
  return key.replace(/-/g, "_");
}

/** Parses config text. `file` is used only to label sources and problems. */
export function parseConfigText(text: string, file: string): ParsedFile {
  const sources = new Map<string, SourceRef>();
  const empty = (problems: Problem[]): ParsedFile => ({ file, values: {}, sources, problems });
  const parsed = parseYaml(text, file);
  if (parsed.problems.length > 0 || !parsed.doc) return empty(parsed.problems);
  const { doc, lines } = parsed;
  const at = (offset: number): SourceRef => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };

  const problems: Problem[] = doc.errors.map((err) => {
    const pos = at(err.pos[0]);
    return {
      kind: "yaml_syntax" as const,
      file,
      line: pos.line,
      column: pos.column,
      message: err.message.split("\n")[0]!,
    };
  });
  if (problems.length > 0) return empty(problems);

  const root = doc.contents as Node | null;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) {
    return empty([]); // an empty file is an empty config
  }
  if (!isMap(root)) {
    const pos = at(root.range?.[0] ?? 0);
    return empty([
      {
        kind: "yaml_syntax",
        file,
        line: pos.line,
        column: pos.column,
        message: `a config file must be a mapping of keys to values at the top level, not ${describeNode(root)}`,
      },
    ]);
  }
  const walker = new Walker(file, lines, sources, problems);
  try {
    const values = walker.mapping(root, "", 1, true).value;
    return { file, values, sources, problems };
  } catch (err) {
    if (!(err instanceof LimitError)) throw err;
    const pos = at(err.offset);
    return empty([{ kind: "limit", file, line: pos.line, column: pos.column, message: err.message }]);
  }
}

/**
 * Parses one YAML value on its own (a `--set` value): a scalar, a flow list or mapping, or nothing
 * (null). Parsed as a whole document, so a newline in the value cannot smuggle in another key.
 */
export function parseConfigValue(text: string, file: string): { value: unknown; problems: Problem[] } {
  const parsed = parseYaml(text, file);
  if (parsed.problems.length > 0 || !parsed.doc) return { value: null, problems: parsed.problems };
  const { doc, lines } = parsed;
  const problems: Problem[] = doc.errors.map((err) => ({
    kind: "yaml_syntax" as const,
    file,
    message: err.message.split("\n")[0]!,
  }));
  if (problems.length > 0) return { value: null, problems };
  try {
    const v = new Walker(file, lines, new Map(), problems).value(doc.contents as Node | null, null, 1);
    return { value: v.value, problems };
  } catch (err) {
    if (!(err instanceof LimitError)) throw err;
    return { value: null, problems: [{ kind: "limit", file, message: err.message }] };
  }
}

class LimitError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

interface Anchor {
  value: unknown;
  /** Values in the anchored subtree (what one alias to it adds). */
  count: number;
  /** Levels of nesting in the anchored subtree. */
  height: number;
}

const MERGE_KEY = "<<";

/** Turns the document into plain values, recording the line of every key on the way. */
class Walker {
  private readonly anchors = new Map<string, Anchor>();
  private count = 0;

  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
    private readonly sources: Map<string, SourceRef>,
    private readonly problems: Problem[],
  ) {}

  private at(node: Node | null | undefined): SourceRef {
    const { line, col } = this.lines.linePos(node?.range?.[0] ?? 0);
    return { file: this.file, line, column: col };
  }

  private add(n: number, node: Node | null | undefined): void {
    this.count += n;
    if (this.count > MAX_EXPANDED_NODES)
      throw new LimitError(
        `aliases expand to more than the limit of ${MAX_EXPANDED_NODES.toLocaleString("en-US")} values (aliases of aliases grow exponentially, a "billion laughs"): ${LIMIT_HINT}`,
        node?.range?.[0] ?? 0,
      );
  }

  private tooDeep(node: Node | null | undefined): LimitError {
    return new LimitError(
      `aliases expand to nesting deeper than the limit of ${MAX_CONFIG_DEPTH} levels: ${LIMIT_HINT}`,
      node?.range?.[0] ?? 0,
    );
  }

  /** Converts `node` at nesting `depth`; `path` is the dotted key path, or null inside a list. */
  value(node: Node | null, path: string | null, depth: number): { value: unknown; height: number } {
    if (depth > MAX_CONFIG_DEPTH) throw this.tooDeep(node);
    if (node === null || node === undefined) {
      this.add(1, node);
      return { value: null, height: 0 };
    }
    if (isAlias(node)) {
      const a = this.anchors.get(node.source);
      if (!a) {
        this.problem(node, path, `alias *${node.source} refers to no anchor &${node.source} before it`);
        return { value: null, height: 0 };
      }
      this.add(a.count, node);
      if (depth + a.height > MAX_CONFIG_DEPTH) throw this.tooDeep(node);
      return { value: structuredClone(a.value), height: a.height };
    }
    const before = this.count;
    let out: { value: unknown; height: number };
    if (isMap(node)) {
      this.add(1, node);
      const m = this.mapping(node, path, depth, false);
      out = { value: m.value, height: 1 + m.height };
    } else if (isSeq(node)) {
      this.add(1, node);
      const items: unknown[] = [];
      let height = 0;
      for (const item of node.items) {
        const v = this.value(item as Node | null, null, depth + 1);
        items.push(v.value);
        height = Math.max(height, v.height);
      }
      out = { value: items, height: 1 + height };
    } else {
      this.add(1, node);
      const v = isScalar(node) ? node.value : null;
      out = { value: typeof v === "symbol" ? (v.description ?? "") : v, height: 0 };
    }
    if (node.anchor) this.anchors.set(node.anchor, { ...out, count: this.count - before });
    return out;
  }

  /** A mapping's keys and values; merge keys (`<<`) add the keys the mapping does not set itself. */
  mapping(
    map: YAMLMap,
    prefix: string | null,
    depth: number,
    topLevel: boolean,
  ): { value: Record<string, unknown>; height: number } {
    const out: Record<string, unknown> = {};
    const seen = new Map<string, number>();
    const merged: { value: Record<string, unknown>; src: SourceRef }[] = [];
    let height = 0;
    for (const pair of map.items) {
      const keyNode = pair.key as Node | null;
      const valueNode = pair.value as Node | null;
      const pos = this.at(keyNode ?? valueNode);
      if (isScalar(keyNode) && typeof keyNode.value === "symbol") {
        const m = this.value(valueNode, null, depth + 1);
        height = Math.max(height, m.height - 1);
        for (const src of Array.isArray(m.value) ? m.value : [m.value]) {
          if (typeof src !== "object" || src === null || Array.isArray(src)) {
            this.problem(
              valueNode,
              prefix,
              `a merge key (${MERGE_KEY}) takes a mapping or a list of mappings`,
            );
            continue;
          }
          merged.push({ value: src as Record<string, unknown>, src: pos });
        }
        continue;
      }
      if (!isScalar(keyNode) || keyNode.value === null || keyNode.value === undefined) {
        const empty = !keyNode || (isScalar(keyNode) && (keyNode.value ?? null) === null);
        this.problem(
          keyNode ?? valueNode,
          prefix,
          empty ? "a key is missing before ':'" : `a key must be a plain word, not ${describeNode(keyNode)}`,
        );
        continue;
      }
      this.add(1, keyNode);
      const rawKey = String(keyNode.value);
      const key = topLevel ? normaliseTopKey(rawKey) : rawKey;
      const path = prefix === null ? null : prefix ? `${prefix}.${key}` : key;
      const first = seen.get(key);
      if (first !== undefined) {
        this.problems.push({
          kind: "yaml_syntax",
          ...(path !== null ? { key: path } : {}),
          file: this.file,
          line: pos.line,
          column: pos.column,
          message: `duplicate key ${quote(rawKey)} at lines ${first} and ${pos.line}`,
        });
        continue;
      }
      seen.set(key, pos.line);
      if (path !== null) this.sources.set(path, pos);
      const v = this.value(valueNode, path, depth + 1);
      height = Math.max(height, v.height);
      setOwn(out, key, v.value);
    }
    // Explicit keys win over merged ones; among merged mappings, the first to set a key wins.
    for (const { value, src } of merged) {
      for (const [k, v] of Object.entries(value)) {
        const key = topLevel ? normaliseTopKey(k) : k;
        if (Object.hasOwn(out, key)) continue;
        setOwn(out, key, structuredClone(v));
        const path = prefix === null ? null : prefix ? `${prefix}.${key}` : key;
        if (path !== null) this.sources.set(path, src);
      }
    }
    return { value: out, height };
  }

  private problem(node: Node | null | undefined, key: string | null, message: string): void {
    const pos = this.at(node);
    this.problems.push({
      kind: "yaml_syntax",
      ...(key ? { key } : {}),
      file: this.file,
      line: pos.line,
      column: pos.column,
      message,
    });
  }
}

function describeNode(node: Node): string {
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isAlias(node)) return `an alias (*${node.source})`;
  return isScalar(node) ? `the value ${quote(String(node.value), 40)}` : "this value";
}
