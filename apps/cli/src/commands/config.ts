export async function runConfig(argv: string[]): Promise<number> {
  process.stderr.write(`todo ${argv.join(" ")}\n`);
  return 2;
}
