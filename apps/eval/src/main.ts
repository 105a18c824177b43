// `neox eval`: resolve the configs, read the tasks' local files (before the model, so a missing file
// fails in a moment), load the tokenizer and the checkpoint in `load`, run each task on one
// inference engine (`batch` cache slots of seq_length positions), and write the harness-shaped
// results file. GPT-NeoX's eval.py passes a hard-coded limit=10 to the harness; here every document
// is scored unless --limit says otherwise.
import { resolveForVerb, withVocabSize } from "@neox/config";
import { OrtEngine } from "@neox/convert";
import { type Engine, InferenceEngine, loadInferenceModel } from "@neox/models";
import { loadTokenizer, tokenizerOptionsFromConfig } from "@neox/tokenize";
import { HELP, limitDocs, parseArgs, UsageError } from "./args";
import { evaluateTask, type TaskResult } from "./evaluate";
import { Progress } from "./progress";
import { resultsDocument, resultsPath, resultsTable, writeResults } from "./results";
import { DATA_DIR_ENV, loadTask } from "./tasks/registry";

export async function main(argv: string[], ctx: { signal?: AbortSignal } = {}): Promise<number> {
  const args = parseArgs(argv);
  if (args === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const err = process.stderr;
  const unsized = resolveForVerb("eval", args.configs, args.overrides, (line) => err.write(`${line}\n`));
  if (!unsized) return 1;
  const v = unsized.values;
  const taskNames = args.tasks ?? (Array.isArray(v.eval_tasks) ? v.eval_tasks.map(String) : null);
  if (taskNames === null || taskNames.length === 0)
    throw new UsageError(
      "no tasks: give --eval_tasks TASK... or set eval_tasks in a config (see neox eval --help)",
    );
  const dataDir = args.dataDir ?? (process.env[DATA_DIR_ENV] || null);

  const tasks = taskNames.map((name) => {
    const task = loadTask(name, dataDir ?? undefined);
    const original = task.docs.length;
    task.docs = task.docs.slice(0, limitDocs(original, args.limit));
    return { task, original };
  });

  const tokenizer = await loadTokenizer(tokenizerOptionsFromConfig(v));
  const resolved = withVocabSize(unsized, tokenizer.vocabSize);
  const { model, loaded } = loadInferenceModel(resolved, { verb: "neox eval" });
  const batch = args.batchSize ?? Number(v.train_micro_batch_size_per_gpu ?? 1);
  const maxLength = model.spec.seqLength; // the harness's max_length: the context window
  const engine: Engine =
    args.engine === "onnxruntime"
      ? OrtEngine.open(args.onnxModel!, { slots: batch, maxT: maxLength, vocab: model.spec.V })
      : new InferenceEngine(model, { slots: batch, maxT: maxLength });
  err.write(
    `neox eval: ${loaded.via}${args.engine === "onnxruntime" ? ` on onnxruntime (${args.onnxModel})` : ""}; batch ${batch}, context ${maxLength} tokens\n`,
  );
  try {
    const t0 = performance.now();
    const done: { result: TaskResult; original: number }[] = [];
    for (const { task, original } of tasks) {
      const progress = new Progress(err, task.name);
      const result = await evaluateTask(task, tokenizer, engine, {
        maxLength,
        bootstrapIters: args.bootstrapIters,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onProgress: (n, total) => progress.update(n, total),
      });
      progress.finish(result.requests);
      done.push({ result, original });
    }
    const doc = resultsDocument(
      done,
      {
        model: "neox",
        model_args: {
          load: v.load,
          checkpoint: loaded.via,
          num_layers: v.num_layers,
          hidden_size: v.hidden_size,
          num_attention_heads: v.num_attention_heads,
          seq_length: maxLength,
          padded_vocab_size: model.spec.V,
          tokenizer_type: tokenizer.type,
        },
        batch_size: batch,
        limit: args.limit,
        bootstrap_iters: args.bootstrapIters,
        eval_data_dir: dataDir,
      },
      (performance.now() - t0) / 1000,
    );
    const path = resultsPath(
      typeof v.eval_results_prefix === "string" ? v.eval_results_prefix : "",
      new Date(),
    );
    writeResults(path, doc);
    if (args.json) process.stdout.write(`${JSON.stringify(doc)}\n`);
    else process.stdout.write(resultsTable(doc));
    err.write(`neox eval: results written to ${path}\n`);
    return 0;
  } finally {
    engine.dispose();
    model.dispose();
  }
}
