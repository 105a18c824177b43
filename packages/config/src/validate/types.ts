// Type checks as GPT-NeoX's validate_types does them: None is always allowed, an int is accepted
// where a float is declared, Literal choices match case-insensitively, a bool is never an int.

import { isPlainObject } from "../load/merge";
import { type ArgType, typeName } from "../schema/types";

/** Returns undefined when `value` fits `ty`, else a description of what was expected. */
export function typeMismatch(value: unknown, ty: ArgType): string | undefined {
  if (value === null || value === undefined) return undefined;
  return fits(value, ty) ? undefined : `expected ${typeName(ty)}, got ${describeValue(value)}`;
}

function fits(value: unknown, ty: ArgType): boolean {
  switch (ty.kind) {
    case "any":
      return true;
    case "int":
      return typeof value === "number" && Number.isInteger(value);
    case "float":
      return typeof value === "number";
    case "bool":
      return typeof value === "boolean";
    case "str":
      return typeof value === "string";
    case "dict":
      return isPlainObject(value);
    case "list":
      return Array.isArray(value) && value.every((v) => v === null || fits(v, ty.of));
    case "literal":
      return ty.values.some((c) =>
        typeof c === "string" && typeof value === "string"
          ? c.toLowerCase() === value.toLowerCase()
          : c === value,
      );
    case "union":
      return ty.of.some((m) => fits(value, m));
    case "optional":
      return fits(value, ty.of);
  }
}

/** The canonical spelling of a Literal choice (GPT-NeoX accepts any case). */
export function canonicalLiteral(value: unknown, ty: ArgType): unknown {
  const lit = ty.kind === "optional" ? ty.of : ty;
  if (lit.kind !== "literal" || typeof value !== "string") return value;
  return lit.values.find((c) => typeof c === "string" && c.toLowerCase() === value.toLowerCase()) ?? value;
}

export function describeValue(v: unknown): string {
  if (Array.isArray(v)) return `a list ${JSON.stringify(v)}`;
  if (isPlainObject(v)) return "a dict";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (typeof v === "number") return Number.isInteger(v) ? `the int ${v}` : `the float ${v}`;
  if (typeof v === "boolean") return `the bool ${v}`;
  return String(v);
}
