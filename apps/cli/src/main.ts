import {
  acceptInterrupt,
  errorReport,
  exitCodeFor,
  interruptedExitCode,
  interruptSignal,
  printable,
  setCommandName,
} from "./process";
import { findVerb, VERBS } from "./verbs";

/**
 * The `neox` command. Returns the exit code; human text goes to stderr, `--json` output to stdout.
 * Never throws: whatever a verb throws becomes one line (`neox <verb>: message`, see process/errors.ts).
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    process.stdout.write("neox 0.1.0\n");
    return 0;
  }
  const verb = findVerb(name);
  if (!verb) {
    process.stderr.write(`neox: unknown verb "${printable(name)}"\n\n${usage()}`);
    return 2;
  }
  if (!verb.load) {
    if (rest.includes("--help") || rest.includes("-h")) {
      process.stdout.write(verbHelp(verb.name));
      return 0;
    }
    process.stderr.write(`neox ${verb.name}: not built yet in this version of neox-ts.\n`);
    return 2;
  }
  setCommandName(`neox ${verb.name}`);
  try {
    const run = await verb.load();
    const code = await run(rest, { signal: interruptSignal() });
    if (verb.stopsOnSignal && code === 0) acceptInterrupt();
    return code;
  } catch (err) {
    const interrupted = interruptedExitCode();
    if (interrupted !== undefined) return interrupted; // bin.ts prints the interrupted line
    process.stderr.write(errorReport(err));
    return exitCodeFor(err);
  }
}

export function usage(): string {
  const width = Math.max(...VERBS.map((v) => v.name.length));
  const lines = VERBS.map(
    (v) => `  ${v.name.padEnd(width)}  ${v.summary}${v.load ? "" : " (not built yet)"}`,
  );
  return [
    "usage: neox <verb> [args...]     (inside the repository: pnpm -s neox <verb> ...)",
    "",
    "verbs:",
    ...lines,
    "",
    "example:",
    "  pnpm -s neox config show configs/pythia/70M.yml configs/local_setup.yml --json",
    "",
    "Run `neox <verb> --help` for a verb's options.",
    "",
  ].join("\n");
}

export function verbHelp(name: string): string {
  const v = findVerb(name);
  if (!v) return usage();
  return `usage: ${v.usage}\n\n${v.summary}${v.load ? "" : " (not built yet)"}\n\nexample:\n  ${v.example}\n`;
}
