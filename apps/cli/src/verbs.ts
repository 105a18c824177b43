// The verbs of the `neox` command. Each entry says what it does and shows one example; `run` is
// absent for verbs whose app is not built yet, so the command can say so plainly.

export interface VerbContext {
  /**
   * Aborted on the first SIGINT/SIGTERM/SIGHUP (reason: InterruptedError). A verb that adds an `abort`
   * listener gets a few seconds to stop cleanly (terminate threads, discard temporaries); a verb that
   * does not is ended at once. Either way the process prints the interrupted line and exits 130/143.
   */
  signal: AbortSignal;
}

/** A verb's entry: the exit code, or a throw that the command prints as one line. */
export type VerbRun = (argv: string[], ctx: VerbContext) => Promise<number>;

export interface Verb {
  name: string;
  summary: string;
  usage: string;
  example: string;
  /** Loaded lazily so `neox --help` never pulls in native code or large packages. */
  load?: () => Promise<VerbRun>;
  /** SIGINT/SIGTERM is this verb's ordinary way to stop (a server): a clean stop exits with its code. */
  stopsOnSignal?: boolean;
}

export const VERBS: readonly Verb[] = [
  {
    name: "train",
    summary: "train a model from YAML configs",
    usage: "neox train CONFIG... [--set key=value ...] [-H HOSTFILE] [--dry-run]",
    example: "pnpm -s neox train configs/tiny.yml configs/local_setup.yml",
    load: async () => (await import("@neox/app-train")).main,
  },
  {
    name: "generate",
    summary: "sample text from a trained model",
    usage: "neox generate CONFIG... [--set key=value ...] [--batch N] [--weights fp32|bf16]",
    example:
      "pnpm -s neox generate configs/tiny.yml configs/local_setup.yml --set text_gen_type=unconditional --set num_samples=4",
    load: async () => (await import("@neox/app-generate")).main,
  },
  {
    name: "eval",
    summary: "evaluate a model on benchmark tasks",
    usage:
      "neox eval CONFIG... [--set key=value ...] --eval_tasks TASK... [--limit N] [--eval-data-dir DIR] [--json]",
    example: "pnpm -s neox eval configs/tiny.yml --eval_tasks lambada_openai piqa --eval-data-dir data/eval",
    load: async () => (await import("@neox/app-eval")).main,
  },
  {
    name: "serve",
    summary: "serve an OpenAI-compatible completions endpoint",
    usage: "neox serve CONFIG... [--set key=value ...] [--port P] [--host H] [--slots N]",
    example: "pnpm -s neox serve configs/tiny.yml configs/local_setup.yml --port 8000",
    load: async () => (await import("@neox/app-serve")).main,
    stopsOnSignal: true,
  },
  {
    name: "prepare-data",
    summary: "tokenize JSONL/text into Megatron .bin/.idx datasets",
    usage: "neox prepare-data --input F[,F2] --output-prefix P --tokenizer-type T [--vocab-file V] ...",
    example:
      "pnpm -s neox prepare-data --input corpus.jsonl --output-prefix data/corpus --tokenizer-type HFTokenizer --vocab-file tokenizer.json --append-eod",
    load: async () => (await import("@neox/app-prepare-data")).main,
  },
  {
    name: "convert",
    summary: "convert checkpoints to and from Hugging Face and ONNX",
    usage: "neox convert hf-export|hf-import|inspect|onnx-export ...",
    example: "pnpm -s neox convert hf-export --input checkpoints --output out/hf --architecture neox",
    load: async () => (await import("./commands/convert")).runConvert,
  },
  {
    name: "config",
    summary: "show the resolved config, check it, regenerate the argument reference",
    usage: "neox config show|check|docs CONFIG... [--world-size N] [--set key=value ...] [--json]",
    example: "pnpm -s neox config show configs/pythia/70M.yml configs/local_setup.yml --world-size 8",
    load: async () => (await import("./commands/config")).runConfig,
  },
  {
    name: "data",
    summary: "inspect datasets and dump the training sample order",
    usage: "neox data inspect|samples PREFIX [...] [--json]",
    example: "pnpm -s neox data inspect data/corpus_text_document --json",
    load: async () => (await import("./commands/data")).runData,
  },
  {
    name: "model",
    summary: "model size, FLOPs and memory; one forward pass",
    usage: "neox model info|logits CONFIG... [--world-size N] [--set key=value ...] [--params] [--json]",
    example:
      "pnpm -s neox model info configs/pythia/70M.yml configs/local_setup.yml --set vocab_file=../shared/data/tokenizers/gpt-neox-20b/tokenizer.json",
    load: async () => (await import("./commands/model")).runModel,
  },
];

export function findVerb(name: string): Verb | undefined {
  return VERBS.find((v) => v.name === name);
}
