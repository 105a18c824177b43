// What `neox model info` and `neox model logits` share: the config problems that stop them, the
// padded vocabulary (from the tokenizer, or `padded_vocab_size` set in the config), and the way a
// config's problems are printed (one problem is the error line; several are listed, then counted).
import { formatProblem, type Problem, type ResolvedConfig, resolveConfig, withVocabSize } from "@neox/config";
import { intFlag, type ParsedArgs } from "../argv";
import { vocabSizeOf } from "./vocab-size";

/**
 * Resolves the configs of a model command (positional files, `--set`, `--world-size`) and attaches
 * the padded vocabulary. `problems` lists what stops the command; when it is empty, `resolved` is
 * ready to build or size a model.
 */
export async function resolveModelConfig(
  args: ParsedArgs,
): Promise<{ resolved: ResolvedConfig; problems: Problem[] }> {
  const worldSize = intFlag(args, "--world-size");
  const resolved = resolveConfig(args.positional, {
    overrides: args.repeated.get("--set") ?? [],
    ...(worldSize !== undefined ? { worldSize } : {}),
  });
  const problems = blocking(resolved);
  // a config that does not load gives no tokenizer to size; report its problems alone
  if (problems.length > 0) return { resolved, problems };
  const vocab = await tokenizerVocab(resolved, problems);
  return { resolved: withVocabSize(resolved, vocab), problems };
}

/** The problems that stop a model command: every config problem but a missing batch size. */
export function blocking(r: ResolvedConfig): Problem[] {
  // neither command needs a batch: without one the activation estimate is for one sequence, and says so
  return r.problems.filter((p) => !(p.kind === "incomplete" && p.key === "train_batch_size"));
}

/**
 * The tokenizer's vocabulary size, or null with a problem pushed when it does not load. A config that
 * sets `padded_vocab_size` itself (a checkpoint's config, a test fixture) needs no tokenizer: the
 * models read that key when the derived value is absent, so the size is null and no problem is added.
 */
export async function tokenizerVocab(resolved: ResolvedConfig, problems: Problem[]): Promise<number | null> {
  if (typeof resolved.values.padded_vocab_size === "number") return null;
  const vocab = await vocabSizeOf(resolved.values);
  if (vocab.size === null) {
    const src = resolved.sources.get("vocab_file") ?? resolved.sources.get("tokenizer_type");
    problems.push({
      kind: "io",
      key: "vocab_file",
      ...(src ? { file: src.file, line: src.line } : {}),
      message: `padded_vocab_size: ${vocab.note}`,
    });
  }
  return vocab.size;
}

/** A problem the models raise for a key, placed at the key's source line when it has one. */
export function keyProblem(resolved: ResolvedConfig, key: string, message: string): Problem {
  const src = resolved.sources.get(key);
  return {
    kind: "unsupported",
    key,
    ...(src ? { file: src.file, line: src.line } : {}),
    message: `${key}: ${message}`,
  };
}

/** Prints the problems to stderr; returns the exit status 1. */
export function printProblems(command: string, problems: readonly Problem[]): number {
  if (problems.length === 1) process.stderr.write(`${command}: ${formatProblem(problems[0]!)}\n`);
  else {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${command}: ${problems.length} problems in the config\n`);
  }
  return 1;
}
