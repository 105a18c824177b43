// Checks the values inside a dict whose keys are declared (`t.struct`): unknown inner keys with a
// "did you mean", missing required keys, each inner value's type and range by its dotted path
// (`optimizer.params.lr`), recursing into inner dicts that are declared too.
import { isPlainObject } from "../load/merge";
import { type Problem, preview, quote } from "../problems";
import type { ArgType } from "../schema/types";
import { outOfRange } from "./ranges";
import type { HintBudget } from "./suggest";
import { numericProblem, typeMismatch } from "./types";

type Where = (path: string) => { file?: string; line?: number };

/** The dict type inside `ty` (also under Optional), when it declares its keys. */
export function structOf(ty: ArgType): Extract<ArgType, { kind: "dict" }> | undefined {
  const inner = ty.kind === "optional" ? ty.of : ty;
  return inner.kind === "dict" && inner.fields ? inner : undefined;
}

/**
 * Problems inside `value` (a dict at `path`) against `ty`. `rangeKey` is the dotted path ranges are
 * declared under, which differs from `path` for entries of deepspeed_extra_args.
 */
export function checkStruct(
  path: string,
  value: Record<string, unknown>,
  ty: Extract<ArgType, { kind: "dict" }>,
  where: Where,
  hints: HintBudget,
  rangeKey: string = path,
): Problem[] {
  const problems: Problem[] = [];
  const fields = ty.fields ?? {};
  for (const req of ty.required ?? []) {
    if (!Object.hasOwn(value, req) || value[req] === null)
      problems.push({
        kind: "type",
        key: path,
        ...where(path),
        message: `${path} needs a ${JSON.stringify(req)} entry (GPT-NeoX and DeepSpeed read ${path}.${req})`,
      });
  }
  for (const [k, v] of Object.entries(value)) {
    const p = `${path}.${k}`;
    const fty = Object.hasOwn(fields, k) ? fields[k] : undefined;
    if (!fty) {
      if (ty.open) continue;
      const hint = hints.closest(k, Object.keys(fields));
      problems.push({
        kind: "unknown_key",
        key: p,
        ...where(p),
        message: `unknown key ${quote(k)} in ${path}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""}`,
      });
      continue;
    }
    const wrong = typeMismatch(v, fty);
    if (wrong) {
      problems.push({ kind: "type", key: p, ...where(p), message: `${p}: ${wrong}` });
      continue;
    }
    const finite = typeof v !== "number" || Number.isFinite(v);
    const range = finite ? outOfRange(`${rangeKey}.${k}`, v) : undefined;
    const numeric = range ? undefined : numericProblem(v, fty);
    if (range || numeric)
      problems.push({
        kind: "range",
        key: p,
        ...where(p),
        message: range ? `${p}: ${preview(v, 60)} is out of range (expected ${range})` : `${p}: ${numeric}`,
      });
    const inner = structOf(fty);
    if (inner && isPlainObject(v))
      problems.push(...checkStruct(p, v, inner, where, hints, `${rangeKey}.${k}`));
  }
  return problems;
}
