// `neox generate`: GPT-NeoX's generate.py. Resolve the configs, read the generation settings, load
// the tokenizer and the checkpoint in `load`, then run the mode text_gen_type names through one
// continuous-batching scheduler over a KV cache of `--batch` sequences.
import { type ResolvedConfig, resolveForVerb, withVocabSize } from "@neox/config";
import { OrtEngine } from "@neox/convert";
import { type Engine, InferenceEngine, loadInferenceModel, Scheduler } from "@neox/models";
import { loadTokenizer, type Tokenizer, tokenizerOptionsFromConfig } from "@neox/tokenize";
import { type GenerateArgs, HELP, parseArgs } from "./args";
import { interactive } from "./interactive";
import { writeSamples } from "./output";
import { type Prompt, preparePrompt, readPromptFile } from "./prompts";
import { generateSamples } from "./samples";
import { type GenerateSettings, readSettings } from "./settings";

export async function main(argv: string[], ctx: { signal?: AbortSignal } = {}): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const err = process.stderr;
  const unsized = resolveForVerb("generate", parsed.configs, parsed.overrides, (line) =>
    err.write(`${line}\n`),
  );
  if (!unsized) return 1;
  const settings = readSettings(unsized);
  const v = unsized.values;
  const tokenizer = await loadTokenizer(tokenizerOptionsFromConfig(v));
  // prompts are read and checked before the weights are loaded, so a bad file fails fast
  const prompts = settings.mode === "interactive" ? [] : batchPrompts(settings, tokenizer);
  return run(withVocabSize(unsized, tokenizer.vocabSize), settings, tokenizer, prompts, parsed, ctx);
}

async function run(
  resolved: ResolvedConfig,
  s: GenerateSettings,
  tokenizer: Tokenizer,
  prompts: Prompt[],
  args: GenerateArgs,
  ctx: { signal?: AbortSignal },
): Promise<number> {
  const err = process.stderr;
  const { model } = loadInferenceModel(resolved, { verb: "neox generate", weights: args.weights });
  const slots = s.mode === "interactive" ? 1 : Math.max(1, Math.min(args.batch, prompts.length));
  let engine: Engine | null = null;
  try {
    const maxT = Math.min(s.seqLength, engineLimit(model.spec));
    engine =
      args.engine === "onnxruntime"
        ? OrtEngine.open(args.onnxModel!, { slots, maxT, vocab: model.spec.V })
        : new InferenceEngine(model, { slots, maxT });
    const scheduler = new Scheduler(engine);
    if (s.mode === "interactive") {
      const term = { input: process.stdin, output: process.stdout, errors: err };
      await interactive(scheduler, tokenizer, s, term, ctx.signal);
      return 0;
    }
    const out = s.outputFile ?? (s.mode === "input-file" ? `${s.inputFile}.output.jsonl` : null);
    err.write(`neox generate: ${prompts.length} ${s.mode} prompt(s), ${slots} at a time\n`);
    const t0 = performance.now();
    const records = await generateSamples(
      scheduler,
      tokenizer,
      prompts,
      s,
      ctx.signal ? { signal: ctx.signal } : {},
    );
    if (ctx.signal?.aborted) return 130; // an interrupted run writes nothing; the old file stays
    const tokens = records.reduce((a, r) => a + r.length, 0);
    const seconds = (performance.now() - t0) / 1000;
    if (out !== null) writeSamples(out, records);
    err.write(
      `neox generate: ${tokens} tokens in ${seconds.toFixed(2)} s (${(tokens / seconds).toFixed(1)} tokens/s)${out !== null ? `; samples in ${out}` : ""}\n`,
    );
    return 0;
  } finally {
    engine?.dispose();
    model.dispose();
  }
}

function batchPrompts(s: GenerateSettings, tokenizer: Tokenizer): Prompt[] {
  const texts =
    s.mode === "input-file"
      ? readPromptFile(s.inputFile!, s.promptEnd)
      : Array.from({ length: s.numSamples }, () => "");
  const where = (i: number) =>
    s.mode === "input-file" ? `sample_input_file ${s.inputFile} prompt ${i + 1}` : "";
  const prompts = texts.map((t, i) => preparePrompt(t, tokenizer, s, where(i)));
  for (const [i, p] of prompts.entries())
    if (p.tokens.length >= s.seqLength / 2 && s.mode === "input-file")
      process.stderr.write(`warning: ${where(i)} is ${p.tokens.length} tokens, half of seq_length or more\n`);
  if (prompts.length === 0)
    process.stderr.write(`warning: sample_input_file ${s.inputFile} holds no prompts\n`);
  return prompts;
}

// The positions the engine can cache: a learned table's size, else up to the longer of the two.
function engineLimit(spec: { positions: string; maxPositions: number; seqLength: number }): number {
  return spec.positions === "learned" ? spec.maxPositions : Math.max(spec.maxPositions, spec.seqLength);
}
