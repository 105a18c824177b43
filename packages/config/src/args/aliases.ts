// Positive names for GPT-NeoX keys named as negations or after their ancestry (STYLE habit 9).
// Every alias lives in this table; the loader maps an alias to its canonical key on read, and
// the validator reports an alias and its canonical key set to disagreeing values.

export interface Alias {
  /** The positive name a config may use. */
  alias: string;
  /** GPT-NeoX's key it stands for. */
  canonical: string;
  /** The alias means the opposite boolean (tie_embeddings: true == no_weight_tying: false). */
  invert: boolean;
  doc: string;
}

export const ALIASES: readonly Alias[] = [
  {
    alias: "tie_embeddings",
    canonical: "no_weight_tying",
    invert: true,
    doc: "Share the input embedding with the output layer (GPT-NeoX default: tied).",
  },
  {
    alias: "parallel_residual",
    canonical: "gpt_j_residual",
    invert: false,
    doc: "Attention and MLP read the same residual input and are added together (GPT-J, NeoX-20B, Pythia).",
  },
];

export const ALIAS_BY_NAME: ReadonlyMap<string, Alias> = new Map(ALIASES.map((a) => [a.alias, a]));

/** Aliases that stand for `canonical` (for docs and for conflict messages). */
export function aliasesOf(canonical: string): readonly Alias[] {
  return ALIASES.filter((a) => a.canonical === canonical);
}

/**
 * Maps an alias's value to the canonical key's value. Only booleans are inverted: anything else is
 * passed through so the canonical key's type check reports it.
 */
export function toCanonicalValue(alias: Alias, value: unknown): unknown {
  return alias.invert && typeof value === "boolean" ? !value : value;
}

/** The alias's reading of a canonical value (for `config show` next to the alias). */
export function toAliasValue(alias: Alias, canonicalValue: unknown): unknown {
  return toCanonicalValue(alias, canonicalValue);
}

/**
 * Rewrites one config entry to GPT-NeoX's key: dashes become underscores (GPT-NeoX accepts both),
 * an alias becomes its canonical key with its value inverted where the alias is a negation.
 * `alias` is set when the entry was an alias, so the caller can detect the canonical key set too.
 */
export function applyAliases(key: string, value: unknown): { key: string; value: unknown; alias?: Alias } {
  const name = key.replace(/-/g, "_");
  const alias = ALIAS_BY_NAME.get(name);
  if (!alias) return { key: name, value };
  return { key: alias.canonical, value: toCanonicalValue(alias, value), alias };
}
