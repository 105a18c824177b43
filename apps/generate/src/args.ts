// `neox generate CONFIGS... [--set key=value ...]`: the command line, checked up front. Everything
// GPT-NeoX configures (text_gen_type, sample_input_file, temperature, ...) is a config key, set in
// a file or with --set; the flags are only what GPT-NeoX has no key for.
import { UsageError } from "@neox/config";

export { UsageError };

export const HELP = `usage: neox generate CONFIG... [--set key=value ...] [--batch N] [--weights fp32|bf16]
                     [--engine native|onnxruntime --onnx-model FILE]

Samples text from the checkpoint in \`load\`, as GPT-NeoX's generate.py does, with its config keys:

  text_gen_type       unconditional (context [eod], num_samples times), input-file (prompts from
                      sample_input_file split on prompt_end, stripped, empties dropped) or
                      interactive (a "Context prompt >>> " loop on stdin, tokens streamed to stdout);
                      default input-file when sample_input_file is set, else unconditional
  temperature, top_k, top_p
                      applied in GPT-NeoX's order; greedy when all three are 0
  maximum_tokens      new tokens per prompt (0 or null: up to the context); never past seq_length
  recompute           true: a full forward per token instead of the KV cache (same tokens)
  seed                each prompt samples with a seed made from seed and its index, so a seed
                      reproduces the output exactly, whatever the batching
  sample_output_file  JSONL, one line per prompt: context, text, length, finished, message,
                      duration_seconds, token_ids (null with input-file: <input>.output.jsonl)

  --set key=value     override a config value (repeatable; e.g. --set temperature=0.8)
  --batch N           prompts decoded together (default 8); results do not depend on it
  --weights bf16      run the GEMMs on bf16 copies of the weights (default fp32)
  --engine onnxruntime --onnx-model FILE
                      run the passes on ONNX Runtime (CPU) over FILE, a graph \`neox convert
                      onnx-export\` wrote from the same checkpoint (default: the native engine)

example:
  pnpm -s neox generate configs/tiny.yml configs/local_setup.yml --set text_gen_type=input-file --set sample_input_file=prompts.txt
`;

export interface GenerateArgs {
  configs: string[];
  overrides: string[];
  batch: number;
  weights: "fp32" | "bf16";
  /** Set only when given: --engine (default native) and the .onnx file onnxruntime runs. */
  engine?: "native" | "onnxruntime";
  onnxModel?: string;
}

export function parseArgs(argv: readonly string[]): GenerateArgs | "help" {
  const out: GenerateArgs = { configs: [], overrides: [], batch: 8, weights: "fp32" };
  const value = (flag: string, v: string | undefined): string => {
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} expects a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] =
      a.startsWith("--") && a.includes("=")
        ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
        : [a, undefined];
    const next = () => inline ?? value(flag, argv[++i]);
    if (a === "--help" || a === "-h") return "help";
    else if (flag === "--set") {
      const v = next();
      if (!v.includes("=")) throw new UsageError(`--set expects key=value, got ${v}`);
      out.overrides.push(v);
    } else if (flag === "--batch") {
      const v = next();
      const n = Number(v);
      if (!(/^\d+$/.test(v) && n >= 1 && n <= 1024))
        throw new UsageError(`--batch expects an integer in [1, 1024], got ${v}`);
      out.batch = n;
    } else if (flag === "--weights") {
      const v = next();
      if (v !== "fp32" && v !== "bf16") throw new UsageError(`--weights expects fp32 or bf16, got ${v}`);
      out.weights = v;
    } else if (flag === "--engine") {
      const v = next();
      if (v !== "native" && v !== "onnxruntime")
        throw new UsageError(`--engine expects native or onnxruntime, got ${v}`);
      out.engine = v;
    } else if (flag === "--onnx-model") out.onnxModel = next();
    else if (a.startsWith("-"))
      throw new UsageError(
        `unknown option ${a} (see neox generate --help; GPT-NeoX's settings are config keys: --set ${a.replace(/^-+/, "").replace(/-/g, "_")}=...)`,
      );
    else out.configs.push(a);
  }
  if (out.configs.length === 0) throw new UsageError("no config files given (see neox generate --help)");
  if (out.engine === "onnxruntime" && out.onnxModel === undefined)
    throw new UsageError(
      "--engine onnxruntime needs --onnx-model FILE (written by neox convert onnx-export)",
    );
  if (out.engine !== "onnxruntime" && out.onnxModel !== undefined)
    throw new UsageError("--onnx-model is read only with --engine onnxruntime");
  if (out.engine === "onnxruntime" && out.weights === "bf16")
    throw new UsageError(
      "--weights bf16 is the native engine's; an fp16 graph is onnx-export --precision fp16",
    );
  return out;
}
