// The files of a Hugging Face model directory besides its safetensors (safetensors-dir.ts): its
// config.json and tokenizer files, and the dtype changes between HF tensors and our fp32
// parameters.
import { existsSync, readFileSync } from "node:fs";
import { bf16ToFloat, f16ToFloat, floatToBf16, floatToF16 } from "@neox/tensor";
import { ConvertError } from "./hf-map";
import type { SafetensorsDir } from "./safetensors-dir";

export const HF_CONFIG_FILE = "config.json";
export const HF_GENERATION_CONFIG_FILE = "generation_config.json";

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
export function readAsF32(file: SafetensorsDir, name: string): Float32Array {
  const e = file.entry(name);
  const raw = file.readArray(name);
  if (e.dtype === "F32") return raw as Float32Array;
  const widen = e.dtype === "BF16" ? bf16ToFloat : e.dtype === "F16" ? f16ToFloat : null;
  if (!widen)
    throw new ConvertError(
      `${file.fileOf(name).path}: tensor "${name}" is ${e.dtype}; F32, BF16 and F16 are converted (narrowing ${e.dtype} would change the model)`,
    );
  const bits = raw as Uint16Array;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = widen(bits[i]!);
  return out;
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
