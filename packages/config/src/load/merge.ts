// Merges parsed config files left to right. A later file overrides an earlier one; nested dicts
// (`optimizer`, `zero_optimization`, `fp16`, ...) merge key by key. This is a deliberate difference
// from GPT-NeoX, which rejects a top-level key repeated across files and never merges dicts.
import type { SourceRef } from "../problems";

export interface MergedValues {
  values: Record<string, unknown>;
  /** Source by dotted path from the root (`train_iters`, `optimizer.params.lr`). */
  sources: Map<string, SourceRef>;
}

/** A dict: not a list, and not a Date or byte array (YAML's !!timestamp and !!binary values). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Sets an own property. Keys come from config files and the command line, so `__proto__` is an
 * ordinary key here: plain assignment would instead replace the object's prototype.
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** The own value at `key`, never one inherited from Object.prototype (`constructor`, `__proto__`). */
export function getOwn(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
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
      const cur = getOwn(dst, k);
      if (isPlainObject(v) && isPlainObject(cur)) {
        walk(cur, v, path);
      } else {
        setOwn(dst, k, isPlainObject(v) ? structuredClone(v) : v);
        // a replaced value forgets the sources of the subtree it replaced, and takes the new one's;
        // walked by subtree, not by scanning every source, so merging stays linear in the keys
        if (isPlainObject(cur)) for (const p of subtreePaths(cur, path)) target.sources.delete(p);
        if (isPlainObject(v)) {
          for (const p of subtreePaths(v, path)) {
            const s = sources.get(p);
            if (s) target.sources.set(p, s);
          }
        }
      }
      const s = sources.get(path);
      if (s) target.sources.set(path, s);
    }
  };
  walk(target.values, values, "");
}

/** Dotted paths of every key below `obj` (which sits at `path`), dicts only, as sources name them. */
export function* subtreePaths(obj: Record<string, unknown>, path: string): Generator<string> {
  for (const [k, v] of Object.entries(obj)) {
    const p = `${path}.${k}`;
    yield p;
    if (isPlainObject(v)) yield* subtreePaths(v, p);
  }
}
