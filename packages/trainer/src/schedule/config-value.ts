// Reading schedule keys from a resolved config: one error type that names the key, its value and
// the file:line it came from, so "lr_decay_style = "cosin" (run.yml:12): expected ..." points the
// user at the line to fix. Shared by lr.ts, loss-scale.ts and cadence.ts.
import { formatSource, type ResolvedConfig } from "@neox/config";

/** A schedule value the trainer cannot run; `key` is the config key (dotted inside a dict). */
export class ScheduleConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = "ScheduleConfigError";
  }
}

/** Throws a ScheduleConfigError for `key` holding `value`: "key = value (file:line): expected". */
export function failKey(r: ResolvedConfig, key: string, value: unknown, expected: string): never {
  const src = r.sources.get(key);
  const top = key.split(".")[0] ?? key;
  const where = src ? ` (${formatSource(src)})` : r.given.has(top) ? "" : " (GPT-NeoX's default)";
  throw new ScheduleConfigError(key, `${key} = ${JSON.stringify(value ?? null)}${where}: ${expected}`);
}

/** A whole number ≥ lo, or null when unset; anything else is an error naming the key. */
export function wholeOrNull(r: ResolvedConfig, key: string, value: unknown, lo: number): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < lo)
    failKey(r, key, value, `expected a whole number ≥ ${lo}`);
  return value;
}

/** A finite number ≥ lo; anything else is an error naming the key. */
export function finiteAtLeast(r: ResolvedConfig, key: string, value: unknown, lo: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < lo)
    failKey(r, key, value, `expected a finite number ≥ ${lo}`);
  return value;
}
