// A small, strict argv parser for the inspection verbs: positional arguments, boolean flags and
// flags with values (repeatable ones collect into arrays). Unknown flags are an error, not ignored.

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

export class UsageError extends Error {}

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
    else throw new UsageError(`unknown option ${name}`);
  }
  return out;
}

export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const v = args.values.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} expects a positive integer, got "${v}"`);
  return n;
}
