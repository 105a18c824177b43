import { findVerb, VERBS } from "./verbs";

/** The `neox` command. Returns the exit code; human text goes to stderr, `--json` output to stdout. */
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
    process.stderr.write(`neox: unknown verb "${name}"\n\n${usage()}`);
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
  const run = await verb.load();
  return run(rest);
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
