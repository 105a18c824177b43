// Merges parsed config files left to right. A later file overrides an earlier one; nested dicts
// (`optimizer`, `zero_optimization`, `fp16`, ...) merge key by key. This is a deliberate difference
// from GPT-NeoX, which rejects a top-level key repeated across files and never merges dicts.
import type { SourceRef } from "../problems";

export interface MergedValues {
  values: Record<string, unknown>;
  /** Source by dotted path from the root (`train_iters`, `optimizer.params.lr`). */
  sources: Map<string, SourceRef>;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function emptyMerged(): MergedValues {
  return { values: {}, sources: new Map() };
}

/** Merges one layer (a file, or the `--set` overrides) into `target`, in place. */
export function mergeLayer(
  target: MergedValues,
  values: Record<string, unknown>,
  sources: ReadonlyMap<string, SourceRef>,
): void {
  const walk = (dst: Record<string, unknown>, src: Record<string, unknown>, pre: string) => {
    for (const [k, v] of Object.entries(src)) {
      const path = pre ? `${pre}.${k}` : k;
      const cur = dst[k];
      if (isPlainObject(v) && isPlainObject(cur)) {
        walk(cur, v, path);
      } else {
        dst[k] = isPlainObject(v) ? structuredClone(v) : v;
        // a replaced value forgets the sources of the subtree it replaced
        for (const p of [...target.sources.keys()]) if (p.startsWith(`${path}.`)) target.sources.delete(p);
        if (isPlainObject(v)) {
          for (const [p, s] of sources) if (p.startsWith(`${path}.`)) target.sources.set(p, s);
        }
      }
      const s = sources.get(path);
      if (s) target.sources.set(path, s);
    }
  };
  walk(target.values, values, "");
}
