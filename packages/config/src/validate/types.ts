// Type checks as GPT-NeoX's validate_types does them: None is always allowed, an int is accepted
// where a float is declared, Literal choices match case-insensitively, a bool is never an int.

import { isPlainObject } from "../load/merge";
import { preview } from "../problems";
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

/**
 * A number no declared type can mean: NaN or ±Infinity anywhere (YAML's `.nan`, `.inf`), or an int
 * beyond 2^53 − 1 where an int is declared (it has already lost digits in a double).
 */
export function numericProblem(value: unknown, ty: ArgType): string | undefined {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return `expected a finite number, got ${value}`;
    if (Number.isInteger(value) && !Number.isSafeInteger(value) && declaresIntOnly(ty))
      return `${preview(value)} is beyond 2^53 − 1, where an int can no longer be exact`;
    return undefined;
  }
  if (Array.isArray(value)) {
    const item = ty.kind === "list" ? ty.of : ty.kind === "optional" && ty.of.kind === "list" ? ty.of.of : ty;
    for (const v of value) {
      const bad = numericProblem(v, item);
      if (bad) return `an entry: ${bad}`;
    }
  }
  return undefined;
}

function declaresIntOnly(ty: ArgType): boolean {
  const kinds = new Set<string>();
  const walk = (x: ArgType): void => {
    if (x.kind === "union") x.of.forEach(walk);
    else if (x.kind === "optional" || x.kind === "list") walk(x.of);
    else kinds.add(x.kind);
  };
  walk(ty);
  return kinds.has("int") && !kinds.has("float") && !kinds.has("any");
}

/** The canonical spelling of a Literal choice (GPT-NeoX accepts any case). */
export function canonicalLiteral(value: unknown, ty: ArgType): unknown {
  const lit = ty.kind === "optional" ? ty.of : ty;
  if (lit.kind !== "literal" || typeof value !== "string") return value;
  return lit.values.find((c) => typeof c === "string" && c.toLowerCase() === value.toLowerCase()) ?? value;
}

export function describeValue(v: unknown): string {
  if (Array.isArray(v)) return `a list ${preview(v, 60)}`;
  if (isPlainObject(v)) return "a dict";
  if (typeof v === "string") return `the string ${JSON.stringify(preview(v, 60))}`;
  if (typeof v === "number") return Number.isInteger(v) ? `the int ${preview(v)}` : `the float ${v}`;
  if (typeof v === "boolean") return `the bool ${v}`;
  if (v instanceof Date)
    return `the date ${Number.isNaN(v.getTime()) ? "(invalid)" : v.toISOString().slice(0, 10)}`;
  if (v instanceof Uint8Array) return `${v.length} bytes of !!binary`;
  return preview(v, 60);
}
