// Value predicates for `unsupported(..., { when })`, and the one function that turns a declaration
// and a set value into the "<setting>: <feature> is not supported yet" message, so the validator,
// `config show` and the generated reference agree on when a key is refused.
import type { ArgDecl } from "../schema/types";

/** Matches a string among `choices`, ignoring case (GPT-NeoX matches Literal values so). */
export const isOneOf =
  (...choices: string[]) =>
  (value: unknown): boolean =>
    typeof value === "string" && choices.includes(value.toLowerCase());

export const isTrue = (value: unknown): boolean => value === true;

export const greaterThan =
  (limit: number) =>
  (value: unknown): boolean =>
    typeof value === "number" && value > limit;

export function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A DeepSpeed-style feature dict (`{enabled: true, ...}`) that switches its feature on. DeepSpeed and
 * GPT-NeoX read a missing `enabled` as false for these blocks, so a dict without it is off.
 */
export const isEnabledDict = (value: unknown): boolean => isDict(value) && value.enabled === true;

/** A dict with at least one entry (an empty `{}` is what GPT-NeoX derives for "off"). */
export const isNonEmptyDict = (value: unknown): boolean => isDict(value) && Object.keys(value).length > 0;

/** Equality used for "set to something other than the default": deep, strings case-insensitive. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameValue(a[k], b[k]));
  }
  return a === b;
}

export function formatValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The error for setting an unsupported key to `value`, or undefined when the value is allowed
 * (the declared default, null, or a value `when`/`explain` does not trigger on). Keys that are
 * not `unsupported` never produce one.
 */
export function unsupportedMessage(decl: ArgDecl, value: unknown): string | undefined {
  const s = decl.support;
  if (s.status !== "unsupported" || value === null || value === undefined) return undefined;
  if (s.explain) {
    const e = s.explain(value);
    return e ? `${e.describe}: ${e.feature} is not supported yet` : undefined;
  }
  const triggered = s.when ? s.when(value) : !sameValue(value, decl.default);
  if (!triggered) return undefined;
  return `${s.describe ?? `${decl.name}=${formatValue(value)}`}: ${s.feature} is not supported yet`;
}

/**
 * For a key whose string values name different features (`train_impl: dpo`, `norm: te_rmsnorm`):
 * an `explain` that reports "<key>: <value>" and the value's feature, or nothing for other values.
 */
export const featuresByValue =
  (key: string, features: Readonly<Record<string, string>>) =>
  (value: unknown): { describe: string; feature: string } | undefined => {
    const v = typeof value === "string" ? value.toLowerCase() : undefined;
    const feature = v === undefined ? undefined : features[v];
    return feature === undefined ? undefined : { describe: `${key}: ${v}`, feature };
  };
