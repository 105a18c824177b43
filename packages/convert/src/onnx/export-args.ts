// The flags of `onnx-export` (`neox convert onnx-export`, and export-main.ts run directly):
// --input CKPT --output FILE [--kv-cache] [--precision fp32|fp16]. Checked up front; an unknown or
// repeated flag is an error naming it.
import type { OnnxExportOptions } from "./export";

export const ONNX_EXPORT_USAGE =
  "usage: onnx-export --input CKPT --output model.onnx [--kv-cache] [--precision fp32|fp16]";

export function parseOnnxExportArgs(argv: readonly string[]): OnnxExportOptions {
  let input: string | null = null;
  let output: string | null = null;
  let kvCache = false;
  let precision: "fp32" | "fp16" = "fp32";
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, undefined];
    if (seen.has(flag)) throw new Error(`onnx-export: ${flag} given twice (${ONNX_EXPORT_USAGE})`);
    seen.add(flag);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`onnx-export: ${flag} expects a value`);
      return v;
    };
    if (flag === "--input") input = value();
    else if (flag === "--output") output = value();
    else if (flag === "--kv-cache" && inline === undefined) kvCache = true;
    else if (flag === "--precision") {
      const v = value();
      if (v !== "fp32" && v !== "fp16")
        throw new Error(`onnx-export: --precision expects fp32 or fp16, got ${v}`);
      precision = v;
    } else throw new Error(`onnx-export: unknown argument ${a} (${ONNX_EXPORT_USAGE})`);
  }
  if (input === null || output === null)
    throw new Error(`onnx-export: --input and --output are required (${ONNX_EXPORT_USAGE})`);
  return { input, output, kvCache, precision };
}
