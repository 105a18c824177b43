import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// tsx's loader by absolute URL, so the command also runs from a working directory outside the repo
const TSX_LOADER = pathToFileURL(resolve(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;

export interface NeoxResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `neox` command exactly as `pnpm -s neox ...` does, from the repository root. */
export function runNeox(args: string[], opts: { cwd?: string; input?: string } = {}): NeoxResult {
  const r = spawnSync(
    process.execPath,
    ["--conditions=@neox/source", "--import", TSX_LOADER, resolve(REPO_ROOT, "apps/cli/src/bin.ts"), ...args],
    {
      cwd: opts.cwd ?? REPO_ROOT,
      encoding: "utf8",
      input: opts.input ?? "",
      env: { ...process.env, FORCE_COLOR: "0" },
    },
  );
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
