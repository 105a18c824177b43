// Packs a workspace package as it would be published and installs it where a user would: a fresh
// project outside the repository, with npm. Used by packaging.e2e.test.ts.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import ts from "typescript";
import { REPO_ROOT } from "./run-neox";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; never throws on a non-zero exit (the caller asserts on `code`). */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      {
        cwd: opts.cwd,
        env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", ...opts.env },
        timeout: opts.timeoutMs ?? 90_000,
        maxBuffer: 64 << 20,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        const why = err && code === -1 ? `\n${cmd}: ${err.message}` : "";
        done({ code, stdout, stderr: stderr + why });
      },
    );
  });
}

/** Throws with the command line and its output unless it exited 0. */
export async function runOk(
  cmd: string,
  args: string[],
  opts: Parameters<typeof run>[2],
): Promise<CommandResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0)
    throw new Error(
      `\`${cmd} ${args.join(" ")}\` in ${opts.cwd} exited ${r.code}:\n${r.stdout}\n${r.stderr}`,
    );
  return r;
}

/** Builds dist/ with the package's own tsup config, then packs it with pnpm (publishConfig applied). */
export async function buildAndPack(pkgDir: string, outDir: string): Promise<string> {
  await runOk(resolve(REPO_ROOT, "node_modules/.bin/tsup"), [], { cwd: pkgDir, timeoutMs: 120_000 });
  const r = await runOk("pnpm", ["pack", "--json", "--pack-destination", outDir], { cwd: pkgDir });
  const filename = (JSON.parse(r.stdout) as { filename?: unknown }).filename;
  if (typeof filename !== "string")
    throw new Error(`pnpm pack --json in ${pkgDir} named no tarball:\n${r.stdout}`);
  return resolve(outDir, filename);
}

/**
 * The files of a packed npm tarball (gzip'd ustar), by path with the leading `package/` removed.
 * Reads 512-byte headers: name at 0 (100 bytes), size at 124 (octal), type flag at 156, ustar prefix at
 * 345 (155 bytes); a pax header ('x') may carry the real `path` of the next entry.
 */
export function readTarball(path: string): Map<string, Buffer> {
  const tar = gunzipSync(readFileSync(path));
  const files = new Map<string, Buffer>();
  const text = (at: number, len: number) => tar.toString("utf8", at, at + len).replace(/\0.*$/s, "");
  let paxPath: string | undefined;
  for (let at = 0; at + 512 <= tar.length; ) {
    if (tar[at] === 0) break; // the two zero blocks that end the archive
    const size = Number.parseInt(text(at + 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(tar[at + 156] ?? 0);
    const prefix = text(at + 345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${text(at, 100)}` : text(at, 100));
    const body = tar.subarray(at + 512, at + 512 + size);
    paxPath = undefined;
    if (type === "x") paxPath = /\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1];
    else if (type === "0" || type === "\0") files.set(name.replace(/^package\//, ""), Buffer.from(body));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Every file path an `exports` map names (all conditions, all subpaths), as written ("./dist/x.js"). */
export function exportTargets(exports: unknown): string[] {
  if (typeof exports === "string") return [exports];
  if (Array.isArray(exports)) return exports.flatMap(exportTargets);
  if (exports && typeof exports === "object") return Object.values(exports).flatMap(exportTargets);
  return [];
}

/** Every export condition name used anywhere in an `exports` map. */
export function exportConditions(exports: unknown): string[] {
  if (!exports || typeof exports !== "object" || Array.isArray(exports)) return [];
  return Object.entries(exports).flatMap(([k, v]) => [
    ...(k.startsWith(".") ? [] : [k]),
    ...exportConditions(v),
  ]);
}

/** The README's first ```ts block: the example a user copies first. */
export function firstTsBlock(readmePath: string): string {
  const m = /^```ts\n([\s\S]*?)^```$/m.exec(readFileSync(readmePath, "utf8"));
  if (!m?.[1]) throw new Error(`${readmePath}: no \`\`\`ts code block`);
  return m[1];
}

/** What the example says it prints: the text after `// →` on each line that has one. */
export function claimedOutput(example: string): string[] {
  return [...example.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]!.trim());
}

/** Removes the TypeScript syntax (no type check): what `node` runs. Fails on a syntax error. */
export function stripTypes(source: string, fileName: string): string {
  const out = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const errors = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  if (errors.length > 0) throw new Error(`${fileName}: ${errors.join("; ")}`);
  return out.outputText;
}

/**
 * A strict NodeNext tsconfig for `tsc --noEmit` on `files`, resolving the installed package as a user's
 * project does; only @types/node comes from the workspace, so nothing else of it leaks in.
 */
export function writeStrictTsconfig(projectDir: string, files: string[]): void {
  const config = {
    compilerOptions: {
      strict: true,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      target: "ES2022",
      lib: ["ES2023"],
      noEmit: true,
      types: ["node"],
      typeRoots: [resolve(REPO_ROOT, "node_modules/@types")],
    },
    files,
  };
  writeFileSync(join(projectDir, "tsconfig.json"), `${JSON.stringify(config, null, 2)}\n`);
}
