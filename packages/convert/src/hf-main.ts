// The package's own entry for `pnpm --filter convert hf-export|hf-import|inspect -- ...`: the same
// functions `neox convert` runs. pnpm runs scripts in the package directory, so relative paths are
// taken from where the command was typed (INIT_CWD). One line per error, exit 1; bad flags exit 2.
import {
  describeExport,
  describeImport,
  HF_EXPORT_USAGE,
  HF_IMPORT_USAGE,
  HfUsageError,
  parseHfExportArgs,
  parseHfImportArgs,
} from "./hf-cli";
import { hfExport } from "./hf-export";
import { hfImport } from "./hf-import";
import { formatInspect, inspect } from "./inspect";

const USAGE = `usage: ${HF_EXPORT_USAGE}\n       ${HF_IMPORT_USAGE}\n       inspect PATH [--json]\n`;

function main(argv: string[]): number {
  if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  const [sub, ...rest] = argv;
  const args = rest[0] === "--" ? rest.slice(1) : rest;
  if (sub === undefined || args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  try {
    if (sub === "hf-export") process.stdout.write(describeExport(hfExport(parseHfExportArgs(args))));
    else if (sub === "hf-import") process.stdout.write(describeImport(hfImport(parseHfImportArgs(args))));
    else if (sub === "inspect") {
      const json = args.includes("--json");
      const paths = args.filter((a) => a !== "--json");
      if (paths.length !== 1) throw new HfUsageError(`inspect takes one PATH, got ${paths.length}`);
      const r = inspect(paths[0]!);
      process.stdout.write(json ? `${JSON.stringify(r, null, 1)}\n` : formatInspect(r));
    } else throw new HfUsageError(`unknown command ${JSON.stringify(sub)}`);
    return 0;
  } catch (err) {
    process.stderr.write(`${sub}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof HfUsageError) {
      process.stderr.write(`\n${USAGE}`);
      return 2;
    }
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
