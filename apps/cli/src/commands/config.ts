// `neox config show|check|docs`: the resolved config with derived values, validation with every
// problem at once, and the generated argument reference.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  flatJson,
  formatProblem,
  renderArgumentsReference,
  renderShow,
  resolveConfig,
  withVocabSize,
} from "@neox/config";
import { commitTemp, discardTemp, tempPathFor } from "@neox/data-mmap";
import { intFlag, parseArgv, runSubcommands, UsageError } from "../argv";
import { vocabSizeOf } from "./vocab-size";

const USAGE = `usage: neox config show FILES... [--world-size N] [--set key=value ...] [--json]
       neox config check FILES... [--complete] [--world-size N] [--set key=value ...] [--json]
       neox config docs [--check] [--output FILE]

show    the resolved config: every value with the file:line it came from, and derived values
        (batch triple, padded vocab, MLP widths, precision, attention per layer, warmup iters).
        --json prints one flat object with every GPT-NeoX key and derived key, plus _sources.
check   validates and reports every problem at once (file:line and kind); exit 1 on any error.
        Files that define no model (num_layers, hidden_size, num_attention_heads) are checked as
        a fragment, for what they set. Once the files define a model, what GPT-NeoX requires of
        one is reported as incomplete when missing: max_position_embeddings and a batch size
        (train_batch_size or train_micro_batch_size_per_gpu). --complete also requires
        seq_length and train_iters or train_epochs, as training does.
docs    regenerates configs/neox_arguments.md from the argument declarations (--check: fail if stale).

Files merge left to right: a later file overrides an earlier one, dicts merge key by key.

example:
  pnpm -s neox config show configs/pythia/70M.yml configs/local_setup.yml --world-size 32 --json
  pnpm -s neox config check my-run.yml --complete
`;

/** The argument reference lives at configs/neox_arguments.md of the enclosing workspace. */
function defaultDocsPath(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return join(dir, "configs/neox_arguments.md");
    if (dirname(dir) === dir) return resolve("configs/neox_arguments.md");
  }
}

export async function runConfig(argv: string[]): Promise<number> {
  return runSubcommands("config", USAGE, argv, {
    show: (rest) => showOrCheck("show", rest),
    check: (rest) => showOrCheck("check", rest),
    docs,
  });
}

/** Problems that mean a file was not read at all (missing, not UTF-8, not YAML, over a loader limit). */
const UNREADABLE = new Set<string>(["io", "yaml_syntax", "limit"]);

async function showOrCheck(sub: "show" | "check", argv: string[]): Promise<number> {
  const args = parseArgv(argv, {
    values: ["--world-size"],
    repeat: ["--set"],
    bools: ["--json", "--complete"],
  });
  if (args.positional.length === 0) throw new UsageError("needs at least one config file");
  const worldSize = intFlag(args, "--world-size");
  const opts = {
    overrides: args.repeated.get("--set") ?? [],
    ...(worldSize !== undefined ? { worldSize } : {}),
    complete: args.bools.has("--complete"),
  };
  // The vocabulary size comes from the tokenizer the config names: resolve, load it, attach its size.
  const resolved = resolveConfig(args.positional, opts);
  const vocab = await vocabSizeOf(resolved.values);
  const r = withVocabSize(resolved, vocab.size);
  const notes = [...r.notes.map((n) => `${n.file ? `${n.file}:${n.line}: ` : ""}${n.message}`)];
  if (vocab.size === null) notes.push(`padded_vocab_size is null: ${vocab.note}`);
  const json = args.bools.has("--json");

  if (sub === "show") {
    // A file that could not be read at all has no values to show: report why, on stderr, and stop.
    const unreadable = r.problems.filter((p) => UNREADABLE.has(p.kind));
    if (unreadable.length > 0) {
      for (const p of unreadable) process.stderr.write(`neox config show: ${formatProblem(p)}\n`);
      return 1;
    }
    if (json) process.stdout.write(`${JSON.stringify(flatJson(r), null, 2)}\n`);
    else
      process.stdout.write(
        renderShow(r, vocab.size === null ? [`padded_vocab_size is null: ${vocab.note}`] : []),
      );
    if (r.problems.length > 0) {
      if (json) for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
      else process.stderr.write(`neox config show: ${r.problems.length} problem(s), listed above\n`);
    }
    return r.problems.length > 0 ? 1 : 0;
  }
  const ok = r.problems.length === 0;
  if (json) {
    const errors = r.problems.map((p) => ({
      kind: p.kind,
      key: p.key ?? null,
      file: p.file ?? null,
      line: p.line ?? null,
      message: p.message,
    }));
    process.stdout.write(`${JSON.stringify({ ok, errors, notes }, null, 2)}\n`);
  } else {
    for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
    for (const n of notes) process.stderr.write(`note: ${n}\n`);
    process.stderr.write(ok ? `ok: ${args.positional.join(" ")}\n` : `${r.problems.length} problem(s)\n`);
  }
  return ok ? 0 : 1;
}

/** Why `path` cannot be the reference file (a directory, a missing or non-directory parent), if so. */
function unusableOutput(path: string): string | undefined {
  try {
    if (statSync(path).isDirectory())
      return `${path} is a directory; give a file path such as ${join(path, "neox_arguments.md")}`;
  } catch {
    // absent is fine: it is about to be written
  }
  const parent = dirname(path);
  try {
    if (!statSync(parent).isDirectory()) return `${parent} is not a directory`;
  } catch {
    return `the folder ${parent} does not exist; create it first`;
  }
  return undefined;
}

function ioReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: "no such file or folder",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
    EISDIR: "it is a directory",
    ENOTDIR: "a part of the path is not a directory",
  };
  return (code && reasons[code]) ?? (err instanceof Error ? err.message : String(err));
}

function docs(argv: string[]): number {
  const args = parseArgv(argv, { values: ["--output"], bools: ["--check"] });
  if (args.positional.length > 0) {
    throw new UsageError(
      `takes no file arguments (got "${args.positional[0]}"); use --output FILE to write elsewhere`,
    );
  }
  const path = resolve(args.values.get("--output") ?? defaultDocsPath());
  const text = renderArgumentsReference();
  const fail = (message: string): number => {
    process.stderr.write(`neox config docs: ${message}\n`);
    return 1;
  };
  const unusable = unusableOutput(path);
  if (unusable) return fail(unusable);
  if (args.bools.has("--check")) {
    let current: string;
    try {
      current = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        return fail(`cannot read ${path}: ${ioReason(err)}`);
      current = "";
    }
    if (current !== text) {
      process.stderr.write(`${path} is stale: run \`pnpm -s neox config docs\` and commit the result\n`);
      return 1;
    }
    process.stderr.write(`${path} is up to date\n`);
    return 0;
  }
  // written beside the target and renamed over it: a failed write never leaves a half file, and the
  // temporary is removed on every path out (an error here, or a signal: temp-files removes it at exit)
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, text);
    commitTemp(tmp, path);
  } catch (err) {
    discardTemp(tmp);
    return fail(`cannot write ${path}: ${ioReason(err)}`);
  }
  process.stderr.write(`wrote ${path}\n`);
  return 0;
}
