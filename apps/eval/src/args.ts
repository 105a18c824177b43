// `neox eval CONFIGS... [--set key=value ...] --eval_tasks T1 T2 [--limit N] [--eval-data-dir DIR]
// [--json]`: the arguments, checked up front. Config keys are GPT-NeoX's (eval_tasks,
// eval_results_prefix, load, seq_length, train_micro_batch_size_per_gpu); the rest are flags.
import { UsageError } from "@neox/config";

export { UsageError };

export const HELP = `usage: neox eval CONFIG... [--set key=value ...] --eval_tasks TASK... [--limit N]
                 [--eval-data-dir DIR] [--batch-size N] [--bootstrap-iters N] [--json]
                 [--engine native|onnxruntime --onnx-model FILE]

Evaluates the checkpoint in \`load\` with lm-evaluation-harness 0.4's algorithms on local task files
(nothing is downloaded). Results go to <eval_results_prefix>_eval_results_<%m-%d-%Y-%H-%M-%S>.json
(eval_results_<...>.json without a prefix), as GPT-NeoX's eval.py names them, and as a table on
stdout. A progress bar with requests/s is drawn on stderr when it is a terminal.

tasks (--eval_tasks, or the config key eval_tasks):
  lambada_openai    acc, perplexity          DIR/lambada_openai/lambada_test.jsonl
  piqa              acc, acc_norm            DIR/piqa/valid.jsonl, DIR/piqa/valid-labels.lst
  wikitext          word_perplexity, byte_perplexity, bits_per_byte   DIR/wikitext/wiki.test.raw
  mc:FILE.jsonl     acc, acc_norm: {"context", "choices": [...], "label"} per line
  gen:FILE.jsonl    exact_match: {"context", "target", "until"?: [...], "max_gen_toks"?} per line

  --set key=value        override a config value (repeatable; YAML value syntax)
  --eval_tasks TASK...   the tasks, space separated (overrides the config key eval_tasks)
  --limit N              the first N documents of each task (0 < N < 1: that fraction); default all
  --eval-data-dir DIR    the built-in tasks' data directory; default $NEOX_EVAL_DATA_DIR
  --batch-size N         requests per forward pass; default train_micro_batch_size_per_gpu
  --bootstrap-iters N    bootstrap resamples for perplexity's stderr (default 10000, as eval.py)
  --json                 print the results document on stdout and nothing else
  --engine onnxruntime --onnx-model FILE
                         run the passes on ONNX Runtime (CPU) over FILE, a graph \`neox convert
                         onnx-export\` wrote from the same checkpoint (default: the native engine)

example:
  pnpm -s neox eval configs/tiny.yml --eval_tasks lambada_openai piqa --eval-data-dir data/eval
`;

export interface EvalArgs {
  configs: string[];
  overrides: string[];
  tasks: string[] | null;
  limit: number | null;
  dataDir: string | null;
  batchSize: number | null;
  bootstrapIters: number;
  json: boolean;
  /** Set only when given: --engine (default native) and the .onnx file onnxruntime runs. */
  engine?: "native" | "onnxruntime";
  onnxModel?: string;
}

function positiveInt(flag: string, v: string | undefined): number {
  if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) < 1)
    throw new UsageError(`${flag} expects an integer >= 1, got ${v ?? "nothing"}`);
  return Number(v);
}

export function parseArgs(argv: readonly string[]): EvalArgs | "help" {
  const out: EvalArgs = {
    configs: [],
    overrides: [],
    tasks: null,
    limit: null,
    dataDir: null,
    batchSize: null,
    bootstrapIters: 10000,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} expects a value`);
      return v;
    };
    if (a === "--help" || a === "-h") return "help";
    else if (a === "--json") out.json = true;
    else if (a === "--set") {
      const v = argv[++i];
      if (v === undefined || !v.includes("="))
        throw new UsageError(`--set expects key=value, got ${v ?? "nothing"}`);
      out.overrides.push(v);
    } else if (a === "--eval_tasks" || a === "--eval-tasks") {
      const tasks: string[] = [];
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) tasks.push(argv[++i]!);
      if (tasks.length === 0) throw new UsageError(`${a} expects at least one task name`);
      out.tasks = [...(out.tasks ?? []), ...tasks];
    } else if (a === "--limit") {
      const v = value();
      const n = Number(v);
      if (!(/^[0-9.]+$/.test(v) && n > 0 && (n < 1 || Number.isInteger(n))))
        throw new UsageError(`--limit expects an integer >= 1 or a fraction in (0, 1), got ${v}`);
      out.limit = n;
    } else if (a === "--eval-data-dir") out.dataDir = value();
    else if (a === "--batch-size") out.batchSize = positiveInt(a, argv[++i]);
    else if (a === "--bootstrap-iters") out.bootstrapIters = positiveInt(a, argv[++i]);
    else if (a === "--engine") {
      const v = value();
      if (v !== "native" && v !== "onnxruntime")
        throw new UsageError(`--engine expects native or onnxruntime, got ${v}`);
      out.engine = v;
    } else if (a === "--onnx-model") out.onnxModel = value();
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a} (see neox eval --help)`);
    else out.configs.push(a);
  }
  if (out.configs.length === 0) throw new UsageError("no config files given (see neox eval --help)");
  if (out.engine === "onnxruntime" && out.onnxModel === undefined)
    throw new UsageError(
      "--engine onnxruntime needs --onnx-model FILE (written by neox convert onnx-export)",
    );
  if (out.engine !== "onnxruntime" && out.onnxModel !== undefined)
    throw new UsageError("--onnx-model is read only with --engine onnxruntime");
  return out;
}

/** The harness's limit: a fraction of the documents (rounded up) below 1, else a count. */
export function limitDocs(n: number, limit: number | null): number {
  if (limit === null) return n;
  return Math.min(n, limit < 1 ? Math.ceil(n * limit) : limit);
}
