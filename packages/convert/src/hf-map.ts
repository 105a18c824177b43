// The engine that applies an architecture's table (@neox/models' hf-adapter.ts files) in either
// direction: our parameter names <-> HF tensor names, the fused-QKV and gated-MLP transforms, and
// the config.json fields. Nothing is dropped silently: a parameter no rule names, an HF tensor no
// rule consumes, an HF config field no rule reads is an error naming it.
import {
  type HfAdapter,
  type HfTensorRule,
  LLAMA_HF_ADAPTER,
  MISTRAL_HF_ADAPTER,
  type ModelSpec,
  NEOX_HF_ADAPTER,
} from "@neox/models";

export const HF_ADAPTERS: Readonly<Record<HfAdapter["name"], HfAdapter>> = {
  neox: NEOX_HF_ADAPTER,
  llama: LLAMA_HF_ADAPTER,
  mistral: MISTRAL_HF_ADAPTER,
};

/** A conversion that cannot be done; the message names the tensor, field or file. */
export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConvertError";
  }
}

/** The adapter for an `architectures` entry of config.json, or a ConvertError listing the known ones. */
export function adapterForHfClass(hfClass: unknown, where: string): HfAdapter {
  const a = Object.values(HF_ADAPTERS).find((x) => x.hfClass === hfClass);
  if (!a)
    throw new ConvertError(
      `${where}: architectures entry ${JSON.stringify(hfClass)} is not supported (${Object.values(HF_ADAPTERS)
        .map((x) => x.hfClass)
        .join(", ")} are)`,
    );
  return a;
}

/** One of our parameters and the HF tensors it becomes, for one model. */
export interface TensorPlan {
  ours: string;
  hf: string[];
  transform: HfTensorRule["transform"];
}

/** Every rule that applies to `spec`, expanded over the layers, in our parameter order. */
export function planTensors(adapter: HfAdapter, spec: ModelSpec): TensorPlan[] {
  const live = (r: HfTensorRule) => r.when === undefined || r.when(spec);
  const expand = (r: HfTensorRule, i: number): TensorPlan => ({
    ours: r.ours.replaceAll("{i}", String(i)),
    hf: r.hf.map((n) => n.replaceAll("{i}", String(i))),
    transform: r.transform,
  });
  const out: TensorPlan[] = [];
  const [first, ...rest] = adapter.tensors.filter(live);
  if (first) out.push(expand(first, 0)); // the embedding comes before the layers
  for (let i = 0; i < spec.L; i++) for (const r of adapter.layerTensors.filter(live)) out.push(expand(r, i));
  for (const r of rest) out.push(expand(r, 0));
  return out;
}

/**
 * Checks a plan against the model's parameters: each must be named by exactly one rule and each
 * rule must name a parameter (a table out of step with the model is an error, not a gap).
 */
export function checkPlanCoversModel(
  adapter: HfAdapter,
  plan: readonly TensorPlan[],
  params: ReadonlyMap<string, readonly number[]>,
): void {
  const named = new Set(plan.map((p) => p.ours));
  const missing = [...params.keys()].filter((n) => !named.has(n));
  if (missing.length > 0)
    throw new ConvertError(
      `${adapter.hfClass}: parameter "${missing[0]}" has no HF name in the ${adapter.name} table${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ""}`,
    );
  const stray = plan.find((p) => !params.has(p.ours));
  if (stray)
    throw new ConvertError(
      `${adapter.hfClass}: the ${adapter.name} table names "${stray.ours}", which the model does not have`,
    );
}

/** Row counts of the HF tensors `ours` (rows R) splits into. */
export function splitRows(p: TensorPlan, spec: ModelSpec, rows: number): number[] {
  if (p.transform === "copy") return [rows];
  if (p.transform === "gated") return [rows / 2, rows / 2];
  return [spec.NH * spec.HS, spec.NKV * spec.HS, spec.NKV * spec.HS];
}

/**
 * Our tensor (rows × cols, row-major) -> the HF tensors, as row ranges copied out. The fused QKV
 * is per-head interleaved [q_h | k_h | v_h] when NKV = NH and blocked [Q | K | V] otherwise
 * (GPT-NeoX's layouts, neox-spec §4.6.1); gated linear1 is [up ‖ gate], HF's order in the table.
 */
export function splitTensor(
  p: TensorPlan,
  spec: ModelSpec,
  data: Float32Array,
  cols: number,
): Float32Array[] {
  const rows = data.length / cols;
  const parts = splitRows(p, spec, rows);
  if (p.transform === "qkv" && spec.NKV === spec.NH) {
    const hs = spec.HS;
    const [q, k, v] = parts.map((r) => new Float32Array(r * cols)) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    for (let h = 0; h < spec.NH; h++) {
      const base = 3 * h * hs * cols;
      q.set(data.subarray(base, base + hs * cols), h * hs * cols);
      k.set(data.subarray(base + hs * cols, base + 2 * hs * cols), h * hs * cols);
      v.set(data.subarray(base + 2 * hs * cols, base + 3 * hs * cols), h * hs * cols);
    }
    return [q, k, v];
  }
  const out: Float32Array[] = [];
  let at = 0;
  for (const r of parts) {
    out.push(data.slice(at * cols, (at + r) * cols));
    at += r;
  }
  return out;
}

/** The inverse of splitTensor: HF tensors (each rows_j × cols) -> our tensor. */
export function joinTensors(
  p: TensorPlan,
  spec: ModelSpec,
  parts: readonly Float32Array[],
  cols: number,
): Float32Array {
  const total = parts.reduce((a, x) => a + x.length, 0);
  const out = new Float32Array(total);
  if (p.transform === "qkv" && spec.NKV === spec.NH) {
    const [q, k, v] = parts as [Float32Array, Float32Array, Float32Array];
    const hs = spec.HS;
    for (let h = 0; h < spec.NH; h++) {
      const base = 3 * h * hs * cols;
      const src = h * hs * cols;
      out.set(q.subarray(src, src + hs * cols), base);
      out.set(k.subarray(src, src + hs * cols), base + hs * cols);
      out.set(v.subarray(src, src + hs * cols), base + 2 * hs * cols);
    }
    return out;
  }
  let at = 0;
  for (const x of parts) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

/** The HF shapes `ours` (shape [rows] or [rows, cols]) splits into. */
export function hfShapes(p: TensorPlan, spec: ModelSpec, shape: readonly number[]): number[][] {
  const [rows, ...rest] = shape;
  return splitRows(p, spec, rows!).map((r) => [r, ...rest]);
}

/** config.json for a model: every field of the table, in table order, after architectures/model_type. */
export function hfConfig(
  adapter: HfAdapter,
  spec: ModelSpec,
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const problems = adapter.unsupported(spec, values);
  if (problems.length > 0)
    throw new ConvertError(`cannot export as ${adapter.hfClass}: ${problems.join("; ")}`);
  const out: Record<string, unknown> = { architectures: [adapter.hfClass], model_type: adapter.modelType };
  for (const f of adapter.fields) out[f.hf] = f.toHf(spec, values);
  return out;
}

/**
 * Fields of config.json that describe the file or the run, not the model: read and set aside.
 * Everything else must be a field of the table.
 */
export const HF_BOOKKEEPING_FIELDS: ReadonlySet<string> = new Set([
  "architectures",
  "model_type",
  "_name_or_path",
  "transformers_version",
  "pad_token_id", // a tokenizer detail; padding tokens are masked, not modelled
  "classifier_dropout", // sequence-classification heads only
]);

/**
 * Our config keys for an HF config.json: the class's fixed keys, then each field's (the HF
 * default where the file leaves a field out). An unknown field or a value we cannot build is a
 * ConvertError naming the field.
 */
export function ourConfigFromHf(
  adapter: HfAdapter,
  hf: Readonly<Record<string, unknown>>,
  where: string,
): Record<string, unknown> {
  const known = new Set(adapter.fields.map((f) => f.hf));
  const unknown = Object.keys(hf).filter((k) => !known.has(k) && !HF_BOOKKEEPING_FIELDS.has(k));
  if (unknown.length > 0)
    throw new ConvertError(
      `${where}: field "${unknown[0]}" = ${JSON.stringify(hf[unknown[0]!])} has no meaning in the ${adapter.name} table${unknown.length > 1 ? ` (nor ${unknown.slice(1).join(", ")})` : ""}; converting without it could change the model`,
    );
  const out: Record<string, unknown> = { ...adapter.fixedKeys };
  for (const f of adapter.fields) {
    let x = hf[f.hf];
    if (x === undefined) {
      if (!("hfDefault" in f)) throw new ConvertError(`${where}: field "${f.hf}" is missing`);
      x = f.hfDefault;
    }
    if (!f.fromHf) continue;
    try {
      Object.assign(out, f.fromHf(x, hf));
    } catch (e) {
      throw new ConvertError(`${where}: ${(e as Error).message.replace(/^config\.json /, "")}`);
    }
  }
  return out;
}
