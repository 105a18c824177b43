// `neox convert`: checkpoints to and from Hugging Face directories, ONNX export, and inspect.
// The work is @neox/convert's; this file routes the subcommands, prints their results, and turns
// a bad flag into a usage error naming it (exit 2) and a conversion error into one line (exit 1).
import {
  ConvertError,
  describeExport,
  describeImport,
  formatInspect,
  HfUsageError,
  hfExport,
  hfImport,
  inspect,
  onnxExport,
  openCheckpoint,
  parseHfExportArgs,
  parseHfImportArgs,
  parseOnnxExportArgs,
  SafetensorsDirError,
} from "@neox/convert";
import { loadTokenizer, tokenizerOptionsFromConfig } from "@neox/tokenize";
import { parseArgv, runSubcommands, UsageError } from "../argv";

const USAGE = `usage: neox convert hf-export --input CKPT --output DIR --architecture neox|llama|mistral
                           [--precision auto|fp32|bf16|fp16] [--shard-size S] [--overwrite]
       neox convert hf-import --input DIR --output CKPT [--config-out FILE] [--overwrite]
       neox convert inspect PATH [--json]
       neox convert onnx-export --input CKPT --output model.onnx [--kv-cache] [--precision fp32|fp16]

CKPT is a save directory (its "latest" file names the global_stepN directory) or one global_stepN
directory.

hf-export    writes a Hugging Face directory that transformers loads as GPTNeoXForCausalLM (neox),
             LlamaForCausalLM (llama) or MistralForCausalLM (mistral): config.json with every
             field mapped from the checkpoint's config (a feature the class cannot express is an
             error naming the key), generation_config.json, model.safetensors (or shards of at most
             --shard-size, bytes or "5GB"-style, default 5GB, with model.safetensors.index.json),
             and the tokenizer files the config names. --precision auto takes the run's precision
             (fp16, bf16, else fp32); bf16/fp16 round to nearest even. The directory is written
             whole or not at all; a non-empty one is refused without --overwrite.
hf-import    reads such a directory (safetensors only) into a save directory (latest ->
             global_step0) that load / --load, finetune: true and hf-export accept, and writes a
             YAML config for it (in the checkpoint's configs/, and at --config-out). Every tensor
             must be used and every parameter found with its shape; anything else is an error
             naming it, and nothing is written. Tokenizer files are copied beside the checkpoint
             and named by the config.
inspect      tensors, shapes, dtypes, bytes and the config of a checkpoint, an HF directory or a
             safetensors file; --json prints one object.
onnx-export  the forward graph as standard ONNX operators.

example:
  pnpm -s neox convert hf-export --input checkpoints --output out/hf --architecture neox
  pnpm -s neox convert hf-import --input out/hf --output checkpoints-hf --config-out hf.yml
  pnpm -s neox model logits hf.yml --load checkpoints-hf --tokens 1,2,3
  pnpm -s neox convert inspect out/hf --json
`;

export async function runConvert(argv: string[]): Promise<number> {
  return runSubcommands(
    "convert",
    USAGE,
    argv,
    { "hf-export": hfExportCmd, "hf-import": hfImportCmd, inspect: inspectCmd, "onnx-export": onnxExportCmd },
    (err) => err instanceof ConvertError || err instanceof SafetensorsDirError || isFileError(err),
  );
}

/** Errors about the user's files (a malformed safetensors file, a missing path) rather than bugs. */
function isFileError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return err.name === "SafetensorsError" || code === "ENOENT" || code === "EACCES" || code === "ENOTDIR";
}

/** Runs a flag parser from @neox/convert, its errors as this command's usage errors. */
function flags<T>(parse: (argv: readonly string[]) => T, argv: readonly string[]): T {
  try {
    return parse(argv);
  } catch (err) {
    if (err instanceof HfUsageError) throw new UsageError(err.message);
    throw err;
  }
}

async function hfExportCmd(argv: string[]): Promise<number> {
  const options = flags(parseHfExportArgs, argv);
  process.stdout.write(describeExport(hfExport({ ...options, eod: await tokenizerEod(options.input) })));
  return 0;
}

/**
 * bos/eos for the exported config: the checkpoint's tokenizer's end-of-document id, as GPT-NeoX
 * writes it, from @neox/tokenize (which @neox/convert does not depend on; without it, hf-export
 * reads the id from tokenizer.json / vocab.json and leaves SentencePiece's null). Undefined (let
 * hf-export decide and report) when the config names no tokenizer file or it cannot be loaded.
 */
async function tokenizerEod(input: string): Promise<number | undefined> {
  let values: Readonly<Record<string, unknown>>;
  try {
    const ck = openCheckpoint(input);
    ck.weights.close();
    values = ck.resolved.values;
  } catch {
    return undefined; // hf-export opens it again and names the problem
  }
  if (values.tokenizer_type !== "CharLevelTokenizer" && typeof values.vocab_file !== "string")
    return undefined;
  try {
    return (await loadTokenizer(tokenizerOptionsFromConfig(values))).eod;
  } catch {
    return undefined;
  }
}

function hfImportCmd(argv: string[]): number {
  process.stdout.write(describeImport(hfImport(flags(parseHfImportArgs, argv))));
  return 0;
}

function inspectCmd(argv: string[]): number {
  const args = parseArgv(argv, { bools: ["--json"] });
  if (args.positional.length !== 1)
    throw new UsageError(`inspect takes one PATH, got ${args.positional.length}`);
  const r = inspect(args.positional[0]!);
  process.stdout.write(args.bools.has("--json") ? `${JSON.stringify(r, null, 1)}\n` : formatInspect(r));
  return 0;
}

function onnxExportCmd(argv: string[]): number {
  let options: ReturnType<typeof parseOnnxExportArgs>;
  try {
    options = parseOnnxExportArgs(argv);
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^onnx-export: /, ""));
  }
  const r = onnxExport(options);
  process.stdout.write(`onnx-export: ${r.output} (${r.bytes} bytes; inputs ${r.inputs.join(", ")})\n`);
  return 0;
}
