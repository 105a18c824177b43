// A small, strict argv parser for the inspection verbs: positional arguments, boolean flags and
// flags with values (repeatable ones collect into arrays). Unknown flags are an error, not ignored.

import { printable, setCommandName, USAGE_EXIT } from "./process";

export interface FlagSpec {
  /** Flags that take a value, e.g. "--world-size". */
  values?: readonly string[];
  /** Flags that may repeat, collecting values, e.g. "--set". */
  repeat?: readonly string[];
  /** Boolean flags, e.g. "--json". */
  bools?: readonly string[];
}

export interface ParsedArgs {
  positional: string[];
  values: Map<string, string>;
  repeated: Map<string, string[]>;
  bools: Set<string>;
}

/** Bad flags or arguments: printed with the usage, exit 2 (also when it reaches the top level). */
export class UsageError extends Error {
  readonly exitCode = USAGE_EXIT;
}

export function parseArgv(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const out: ParsedArgs = { positional: [], values: new Map(), repeated: new Map(), bools: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--") || a === "--") {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (spec.bools?.includes(name)) out.bools.add(name);
    else if (spec.repeat?.includes(name)) out.repeated.set(name, [...(out.repeated.get(name) ?? []), take()]);
    else if (spec.values?.includes(name)) out.values.set(name, take());
    else throw new UsageError(`unknown option ${printable(name)}`);
  }
  return out;
}

export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const v = args.values.get(name);
  if (v === undefined) return undefined;
  // Decimal digits only: Number() would also take "0x10", "1e3" and " 8 ".
  const n = /^[0-9]{1,15}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${name} expects a positive decimal integer (at most 15 digits), got "${v}"`);
  }
  return n;
}

export type Subcommand = (argv: string[]) => number | Promise<number>;

/**
 * Runs `neox <verb> <sub> ...`: prints the usage for --help (exit 0) or no subcommand (exit 2), and
 * turns a UsageError into the message plus usage on stderr (exit 2). Other errors print their
 * message (exit 1) when `expectedErrors` says they are the user's, and propagate otherwise, to the
 * command's top level, which prints them as one line too (process/errors.ts).
 */
export async function runSubcommands(
  verb: string,
  usage: string,
  argv: readonly string[],
  table: Readonly<Record<string, Subcommand>>,
  expectedErrors: (err: unknown) => boolean = () => false,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (
    sub === undefined ||
    sub === "--help" ||
    sub === "-h" ||
    rest.includes("--help") ||
    rest.includes("-h")
  ) {
    process.stdout.write(usage);
    return sub === undefined ? 2 : 0;
  }
  const run = table[sub];
  if (!run) {
    const names = Object.keys(table);
    process.stderr.write(
      `neox ${verb}: unknown subcommand "${printable(sub)}" (expected ${names.slice(0, -1).join(", ")} or ${names.at(-1)})\n\n${usage}`,
    );
    return 2;
  }
  setCommandName(`neox ${verb} ${sub}`);
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`neox ${verb} ${sub}: ${printable(err.message)}\n\n${usage}`);
      return USAGE_EXIT;
    }
    if (expectedErrors(err)) {
      process.stderr.write(`neox ${verb} ${sub}: ${printable((err as Error).message)}\n`);
      return 1;
    }
    throw err;
  }
}
