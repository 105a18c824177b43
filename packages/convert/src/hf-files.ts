// The files of a Hugging Face model directory: its safetensors (one file, or shards listed by
// model.safetensors.index.json), its config.json and its tokenizer files, and the dtype changes
// between them and our fp32 parameters.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bf16ToFloat, f16ToFloat, floatToBf16, floatToF16, SafetensorsFile } from "@neox/tensor";
import { ConvertError } from "./hf-map";

export const HF_CONFIG_FILE = "config.json";
export const HF_GENERATION_CONFIG_FILE = "generation_config.json";
export const HF_WEIGHTS_FILE = "model.safetensors";
export const HF_INDEX_FILE = "model.safetensors.index.json";

/** Tokenizer files copied between a checkpoint and an HF directory, in the order they are looked for. */
export const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer.model",
  "tokenizer_config.json",
  "special_tokens_map.json",
];

/** Export precisions and their safetensors dtype / config.json torch_dtype. */
export const PRECISIONS = {
  fp32: { dtype: "F32", torch: "float32" },
  bf16: { dtype: "BF16", torch: "bfloat16" },
  fp16: { dtype: "F16", torch: "float16" },
} as const;
export type ExportPrecision = keyof typeof PRECISIONS;

/** fp32 values to the precision's raw elements (bf16/f16 round to nearest even). */
export function narrow(data: Float32Array, precision: ExportPrecision): Float32Array | Uint16Array {
  if (precision === "fp32") return data;
  const to = precision === "bf16" ? floatToBf16 : floatToF16;
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = to(data[i]!);
  return out;
}

/** A tensor of an HF file as fp32: F32 read as is, BF16/F16 widened (exact); others refused. */
export function readAsF32(file: SafetensorsFile, name: string): Float32Array {
  const e = file.entry(name);
  const raw = file.readArray(name);
  if (e.dtype === "F32") return raw as Float32Array;
  const widen = e.dtype === "BF16" ? bf16ToFloat : e.dtype === "F16" ? f16ToFloat : null;
  if (!widen)
    throw new ConvertError(
      `${file.path}: tensor "${name}" is ${e.dtype}; F32, BF16 and F16 are converted (narrowing ${e.dtype} would change the model)`,
    );
  const bits = raw as Uint16Array;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = widen(bits[i]!);
  return out;
}

/** An HF directory's safetensors, opened (headers validated) and indexed by tensor name. */
export interface HfWeights {
  files: SafetensorsFile[];
  where: Map<string, SafetensorsFile>;
  close(): void;
}

/** Opens the weights of HF directory `dir`; a PyTorch-only directory is an error saying how to convert it. */
export function openHfWeights(dir: string): HfWeights {
  const names = readdirSync(dir);
  const index = join(dir, HF_INDEX_FILE);
  let paths: string[];
  if (existsSync(index)) {
    let map: unknown;
    try {
      map = (JSON.parse(readFileSync(index, "utf8")) as { weight_map?: unknown }).weight_map;
    } catch (e) {
      throw new ConvertError(`${index}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof map !== "object" || map === null)
      throw new ConvertError(`${index}: expected a "weight_map" object of tensor name -> file`);
    paths = [...new Set(Object.values(map as Record<string, string>))].map((f) => join(dir, String(f)));
  } else if (names.includes(HF_WEIGHTS_FILE)) paths = [join(dir, HF_WEIGHTS_FILE)];
  else {
    const bin = names.find(
      (n) => /^pytorch_model.*\.bin$/.test(n) || n.endsWith(".pt") || n.endsWith(".pth"),
    );
    if (bin)
      throw new ConvertError(
        `${join(dir, bin)}: PyTorch pickle weights are not read (a pickle can run code); convert them to safetensors first, e.g. in Python: AutoModelForCausalLM.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)`,
      );
    throw new ConvertError(`${dir}: no ${HF_WEIGHTS_FILE} or ${HF_INDEX_FILE}`);
  }
  const files: SafetensorsFile[] = [];
  const where = new Map<string, SafetensorsFile>();
  const close = () => {
    for (const f of files) f.close();
  };
  try {
    for (const p of paths) {
      if (!existsSync(p)) throw new ConvertError(`${p}: missing (listed in ${HF_INDEX_FILE})`);
      const f = SafetensorsFile.open(p);
      files.push(f);
      for (const n of f.names()) {
        const first = where.get(n);
        if (first) throw new ConvertError(`tensor "${n}" is in two files: ${first.path} and ${f.path}`);
        where.set(n, f);
      }
    }
  } catch (e) {
    close();
    throw e;
  }
  return { files, where, close };
}

/** Reads a JSON object file, or a ConvertError naming it. */
export function readJsonObject(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new ConvertError(`${path}: missing`);
  let x: unknown;
  try {
    x = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConvertError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof x !== "object" || x === null || Array.isArray(x))
    throw new ConvertError(`${path}: expected a JSON object`);
  return x as Record<string, unknown>;
}
