// What every `neox` verb that takes configs does first: resolve CONFIGS... with --set overrides and,
// when any file or value has a problem, print each one (file:line and kind) and a count, so the
// verb exits 1 having read no data and loaded no model. And the usage error the verbs' argument
// parsers throw: the command turns its `exitCode` (2) into the process's.
import { formatProblem } from "./problems";
import { type ResolvedConfig, resolveConfig } from "./resolve";

/** A usage error on a verb's command line: exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The resolved config of a verb's files and overrides, or null after writing its problems
 * (`neox <verb>: N problem(s) in the config` last) to `write`.
 */
export function resolveForVerb(
  verb: string,
  configs: readonly string[],
  overrides: readonly string[],
  write: (line: string) => void,
): ResolvedConfig | null {
  const r = resolveConfig(configs, { overrides });
  if (r.problems.length === 0) return r;
  for (const p of r.problems) write(formatProblem(p));
  write(`neox ${verb}: ${r.problems.length} problem(s) in the config`);
  return null;
}
