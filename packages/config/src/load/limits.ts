// What a config file may be, at most. The largest config GPT-NeoX ships is under 10 KB, nests five
// levels deep (`attention_config: [[["global"], 12]]` under the top-level mapping) and holds a few
// hundred values; a data-heavy one lists a few thousand paths and weights. The bounds below leave
// two to three orders of magnitude over that, and exist so that a hostile or mistaken input (a
// 100 MB file, a 10,000-deep nesting, a "billion laughs" of aliases) is refused in bounded time
// and memory with a message that names the limit, instead of exhausting the stack or the heap.

/** Bytes of one config file, checked before it is read (a stat, then a bounded read). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Collections nested inside each other, the top-level mapping included. The YAML composer and
 * every walk over the values recurse once per level; 64 keeps them far from the stack limit.
 */
export const MAX_CONFIG_DEPTH = 64;

/**
 * Keys, values and collections in one file as written (lexical nodes, counted while lexing so that
 * parsing stops early). Parsing costs roughly 5 µs and 1 KB per node, so this bounds a parse to
 * well under a second and a few hundred MB.
 */
export const MAX_CONFIG_NODES = 100_000;

/**
 * Values after expanding aliases (`*name` copies its anchor's whole subtree). Without this, ten
 * lines of nested aliases expand to 10^9 values ("billion laughs").
 */
export const MAX_EXPANDED_NODES = 100_000;

/** `--set a.b.c=v`: dotted segments in one override key (a dict path, so the depth bound applies). */
export const MAX_OVERRIDE_SEGMENTS = MAX_CONFIG_DEPTH - 1;

/** Problems listed in one report; the rest are counted in a closing line. */
export const MAX_REPORTED_PROBLEMS = 200;

/** How to proceed, for every limit: the bounds sit far above any real config. */
export const LIMIT_HINT = "is this the file you meant?";

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KiB`;
  return `${n} bytes`;
}
