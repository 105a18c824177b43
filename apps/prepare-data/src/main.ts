import { DEFAULT_DATASET } from "@neox/tokenize";
import { HELP, parseArgs, UsageError } from "./args";
import { DEFAULT_TOKENIZER_PATHS, defaultRun, installDefaultTokenizer } from "./default-data";
import { prepareData, StrictError } from "./run";
import { printSummary } from "./summary";

/** `neox prepare-data`: returns the exit code (0 done, 1 failed, 2 bad usage); messages go to stderr. */
export async function main(argv: string[]): Promise<number> {
  const stderr = process.stderr;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv); // GPT-NeoX preprocess_data.py flags, checked up front
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    stderr.write(`neox prepare-data: ${err.message}\n\nRun \`neox prepare-data --help\` for the options.\n`);
    return 2;
  }
  if (parsed === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const { args, files } = parsed.useDefault ? defaultRun(parsed) : { args: parsed, files: undefined };
  try {
    const summary = await prepareData(args, { stderr, files }); // read -> tokenize on workers -> write in order
    printSummary(stderr, args, summary);
    if (parsed.useDefault && args.outputPrefix === DEFAULT_DATASET.outputPrefix) {
      installDefaultTokenizer();
      stderr.write(`tokenizer: ${DEFAULT_TOKENIZER_PATHS.vocabFile}, ${DEFAULT_TOKENIZER_PATHS.mergeFile}\n`);
    }
    return 0;
  } catch (err) {
    const msg = err instanceof StrictError ? err.message : err instanceof Error ? err.message : String(err);
    stderr.write(`neox prepare-data: ${msg}\nNo output was written (temporary files removed).\n`);
    return 1;
  }
}
