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
  | "io";

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

export function formatProblem(p: Problem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ""}` : ""}: ` : "";
  return `${where}${p.kind}: ${p.message}`;
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
