// Loads a built model's parameters from safetensors files by name. Each parameter is looked up
// under our name (`layers.0.mlp.linear1.weight`) and under GPT-NeoX's checkpoint key
// (`sequential.2.mlp.linear1.weight`, gpt-neox/checkpoint-names.ts), so GPT-NeoX sequential
// checkpoints and our own load alike. Every header is checked before any tensor is read, so a
// file that does not fit leaves the model's weights as they were.
//
// Dtypes: parameters are fp32 masters. F32 tensors are read straight into them (`readInto`, one
// host buffer per tensor, never a whole file); BF16 and F16 tensors are widened, which is exact
// (every bf16/f16 value is an fp32 value). Anything else (F64, integers, F8) is refused rather than
// rounded: a narrowing the user did not ask for would change the model silently.
//
// Tensors that name no parameter are an error by default: a checkpoint of another shape or
// architecture often shows up first as names the model does not have. `extra: "ignore"` lists them
// instead (the golden fixtures keep inputs, logits and gradients beside the weights).
import { bf16ToFloat, f16ToFloat, SafetensorsFile } from "@neox/tensor";
import { toSequentialName } from "./gpt-neox/checkpoint-names";
import type { GptNeoXModel } from "./gpt-neox/model";
import { findWeightFiles, WeightLoadError } from "./weights-dir";

export { WeightLoadError } from "./weights-dir";

export interface LoadWeightsOptions {
  /** Tensors that name no parameter: "error" (the default) or "ignore" (returned in `extra`). */
  extra?: "error" | "ignore";
}

export interface LoadedWeights {
  /** The safetensors files read, and how their directory was found (`<save>/latest -> tag`). */
  files: string[];
  via: string;
  /** Parameters loaded; how many of them were stored under GPT-NeoX's `sequential.<idx>` keys. */
  loaded: number;
  sequential: number;
  /** Parameters widened from BF16 or F16. */
  widened: string[];
  /** Tensors that name no parameter (only with `extra: "ignore"`). */
  extra: string[];
}

const EXACT_WIDENING = { BF16: bf16ToFloat, F16: f16ToFloat } as const;
const shapeText = (s: readonly number[]) => `[${s.join(", ")}]`;

interface Planned {
  param: string;
  stored: string;
  file: SafetensorsFile;
}

/** Loads every parameter of `model` from `path` (a save directory, a `global_stepN` directory, a directory of files, or one file). */
export function loadWeights(
  model: Pick<GptNeoXModel, "registry" | "spec">,
  path: string,
  opts: LoadWeightsOptions = {},
): LoadedWeights {
  const found = findWeightFiles(path);
  const files: SafetensorsFile[] = [];
  try {
    const where = new Map<string, SafetensorsFile>();
    for (const p of found.files) {
      const f = SafetensorsFile.open(p);
      files.push(f);
      for (const name of f.names()) {
        const first = where.get(name);
        if (first) throw new WeightLoadError(`tensor "${name}" is in two files: ${first.path} and ${f.path}`);
        where.set(name, f);
      }
    }

    const plan = planLoad(model, where, found.files);
    const used = new Set(plan.map((p) => p.stored));
    const extra = [...where.keys()].filter((n) => !used.has(n));
    if (extra.length > 0 && (opts.extra ?? "error") === "error")
      throw new WeightLoadError(
        `${found.via}: ${extra.length} tensor(s) name no parameter of the model: ${extra.slice(0, 5).join(", ")}${extra.length > 5 ? ", ..." : ""}`,
      );

    const widened: string[] = [];
    for (const { param, stored, file } of plan) {
      const target = model.registry.flat.get(param);
      const dtype = file.entry(stored).dtype;
      if (dtype === "F32") file.readInto(stored, target);
      else {
        const widen = EXACT_WIDENING[dtype as keyof typeof EXACT_WIDENING];
        target.write(Float32Array.from(file.readArray(stored) as Uint16Array, widen));
        widened.push(param);
      }
    }
    model.registry.flat.refreshLowp();
    return {
      files: found.files,
      via: found.via,
      loaded: plan.length,
      sequential: plan.filter((p) => p.stored !== p.param).length,
      widened,
      extra,
    };
  } finally {
    for (const f of files) f.close();
  }
}

// Every parameter's stored name and file, checked against the headers (name, shape, dtype) before
// anything is read.
function planLoad(
  model: Pick<GptNeoXModel, "registry" | "spec">,
  where: ReadonlyMap<string, SafetensorsFile>,
  paths: readonly string[],
): Planned[] {
  const L = model.spec.L;
  const plan: Planned[] = [];
  const missing: { name: string; seq: string; shape: readonly number[] }[] = [];
  for (const e of model.registry.entries()) {
    const seq = toSequentialName(e.name, L);
    const ours = where.get(e.name);
    const theirs = where.get(seq);
    if (ours && theirs)
      throw new WeightLoadError(
        `parameter ${e.name} is stored twice: as "${e.name}" in ${ours.path} and as "${seq}" in ${theirs.path}`,
      );
    const file = ours ?? theirs;
    if (!file) {
      missing.push({ name: e.name, seq, shape: e.shape });
      continue;
    }
    const stored = ours ? e.name : seq;
    const entry = file.entry(stored);
    const same = entry.shape.length === e.shape.length && entry.shape.every((d, i) => d === e.shape[i]);
    if (!same)
      throw new WeightLoadError(
        `${file.path}: tensor "${stored}" has shape ${shapeText(entry.shape)}, expected ${shapeText(e.shape)} for parameter ${e.name}`,
      );
    if (entry.dtype !== "F32" && !(entry.dtype in EXACT_WIDENING))
      throw new WeightLoadError(
        `${file.path}: tensor "${stored}" is ${entry.dtype}, expected F32 (or BF16/F16, widened exactly to the fp32 parameter)`,
      );
    plan.push({ param: e.name, stored, file });
  }
  if (missing.length > 0) {
    const m = missing[0]!;
    const searched = paths.length === 1 ? paths[0] : `${paths.length} files (${paths.join(", ")})`;
    throw new WeightLoadError(
      `missing tensor "${m.name}" (or "${m.seq}"), expected shape ${shapeText(m.shape)}: not in ${searched}${missing.length > 1 ? `; ${missing.length - 1} more parameter(s) missing` : ""}`,
    );
  }
  return plan;
}
