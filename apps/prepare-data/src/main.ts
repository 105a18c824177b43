import { DEFAULT_DATASET } from "@neox/tokenize";
import { HELP, parseArgs } from "./args";
import { DEFAULT_TOKENIZER_PATHS, defaultRun, installDefaultTokenizer } from "./default-data";
import { prepareData } from "./run";
import { printSummary } from "./summary";

/**
 * `neox prepare-data`: returns 0 when done; throws on failure (UsageError carries exit code 2), and
 * the neox command prints the error as one line. Progress and notes go to stderr. `signal` stops the
 * run (workers terminated, temporaries removed) and the promise rejects with its reason.
 */
export async function main(argv: string[], ctx: { signal?: AbortSignal } = {}): Promise<number> {
  const stderr = process.stderr;
  const parsed = parseArgs(argv); // GPT-NeoX preprocess_data.py flags, checked up front
  if (parsed === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const { args, files } = parsed.useDefault ? defaultRun(parsed) : { args: parsed, files: undefined };
  // read -> tokenize on workers -> write in order; on any failure nothing is renamed into place
  const summary = await prepareData(args, { stderr, files, signal: ctx.signal });
  printSummary(stderr, summary);
  if (parsed.useDefault && args.outputPrefix === DEFAULT_DATASET.outputPrefix) {
    installDefaultTokenizer();
    stderr.write(`tokenizer: ${DEFAULT_TOKENIZER_PATHS.vocabFile}, ${DEFAULT_TOKENIZER_PATHS.mergeFile}\n`);
  }
  return 0;
}
