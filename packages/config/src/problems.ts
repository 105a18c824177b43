// Every problem a config can have, in one shape, so `config check --json` and the trainer's
// startup report agree. `kind` is machine-readable; `file`/`line` say where the value came from.

export type ProblemKind =
  | "yaml_syntax"
  | "unknown_key"
  | "type"
  | "range"
  | "combination"
  | "unsupported"
  | "incomplete"
  | "world_size"
  | "io"
  /** A loader limit (file size, nesting depth, node count, alias expansion): the input is refused whole. */
  | "limit";

export interface Problem {
  kind: ProblemKind;
  /** Canonical key (or dotted path inside a DeepSpeed dict) the problem is about. */
  key?: string;
  file?: string;
  line?: number;
  column?: number;
  message: string;
}

/** Where a resolved value came from: a file and 1-based line, or a `--set` override. */
export interface SourceRef {
  file: string;
  line: number;
  column?: number;
}

export function formatSource(src: SourceRef | undefined): string {
  if (!src) return "<default>";
  return src.line > 0 ? `${src.file}:${src.line}` : src.file;
}

/** One line per problem, whatever a file name, key or value holds (newlines, escapes, NULs). */
export function formatProblem(p: Problem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ""}` : ""}: ` : "";
  return oneLine(`${where}${p.kind}: ${p.message}`);
}

/** Control characters shown as escapes, so a message can never span lines or drive a terminal. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === "\t" ? " " : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A key or value as it appears in a message: quoted, escaped and cut to `max` characters. */
export function quote(text: string, max = 80): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

/** Any value for a message, cut to `max` characters (a 100,000-entry list stays one short line). */
export function preview(value: unknown, max = 80): string {
  let s: string;
  try {
    if (typeof value === "number") s = Object.is(value, -0) ? "-0" : String(value);
    else s = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    s = String(value);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Thrown by `loadConfig` when any error-level problem exists; carries all of them. */
export class ConfigError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    super(
      `invalid config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}
