// The packages meant for use outside the repository, as a user gets them: built with tsup, packed with
// pnpm (publishConfig applied), installed with npm into a fresh ESM project outside the workspace. Their
// README's first ```ts example is type-checked there with tsc (strict, NodeNext) against the installed
// types and run with node. Expected output comes from three places: the same example run from the
// workspace sources (the packed build must print the same and write the same bytes), the `// →` lines in
// the README (the README must say what it prints), and an independent reading (data-mmap: the dataset
// read back with the workspace reader; tokenize: GPT-2 ids from js-tiktoken's own gpt2 ranks).
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { IndexedDataset, toNumbers } from "@neox/data-mmap";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildAndPack,
  claimedOutput,
  exportConditions,
  exportTargets,
  firstTsBlock,
  readTarball,
  run,
  runOk,
  stripTypes,
  writeStrictTsconfig,
} from "./helpers/pack";
import { REPO_ROOT } from "./helpers/run-neox";

interface PackageCase {
  name: string;
  dir: string;
  /** Checks the packed run's output against values derived without the packed build. */
  independent: (example: string, stdout: string, runDir: string) => void;
}

const PACKAGES: PackageCase[] = [
  { name: "@neox/data-mmap", dir: "packages/data-mmap", independent: dataMmapReadBack },
  { name: "@neox/tokenize", dir: "packages/tokenize", independent: tokenizeGpt2Ids },
];

const TSC = resolve(REPO_ROOT, "node_modules/typescript/bin/tsc");
const TSX_LOADER = pathToFileURL(resolve(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;

const tmp = mkdtempSync(join(tmpdir(), "neox-packaging-"));
// A private npm cache: nothing read from or written to the user's (or root's) ~/.npm.
const NPM_ENV = { npm_config_cache: join(tmp, "npm-cache"), npm_config_update_notifier: "false" };
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir` (relative path -> bytes), for comparing what two runs wrote. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const rel of readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()) {
    const full = join(dir, rel);
    if (statSync(full).isFile()) out.set(rel, readFileSync(full));
  }
  return out;
}

describe.each(PACKAGES)("$name as packed and installed with npm", (pkg) => {
  const pkgDir = resolve(REPO_ROOT, pkg.dir);
  const slug = pkg.name.replace(/^@neox\//, "");
  const project = join(tmp, slug); // the user's project: the tarball installed with npm
  const source = join(tmp, `${slug}-source`); // the same example against the workspace sources
  let files: Map<string, Buffer>;
  let manifest: Record<string, unknown>;
  let example: string;

  beforeAll(async () => {
    const tarball = await buildAndPack(pkgDir, join(tmp, "packs"));
    files = readTarball(tarball);
    manifest = JSON.parse(files.get("package.json")?.toString("utf8") ?? "{}");
    example = firstTsBlock(join(pkgDir, "README.md"));

    for (const dir of [project, source]) {
      mkdirSync(join(dir, "run"), { recursive: true }); // the example's working directory
      writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, type: "module" }));
      writeFileSync(join(dir, "example.ts"), example);
    }
    await runOk("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", tarball], {
      cwd: project,
      env: NPM_ENV,
      timeoutMs: 100_000,
    });
    writeFileSync(join(project, "example.mjs"), stripTypes(example, "example.ts"));
    writeStrictTsconfig(project, ["example.ts"]);
    mkdirSync(join(source, "node_modules/@neox"), { recursive: true });
    symlinkSync(pkgDir, join(source, "node_modules", pkg.name), "dir");
  }, 240_000);

  it("ships dist, LICENSE and README, and no sources", () => {
    const names = [...files.keys()];
    for (const f of ["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.d.ts"])
      expect(names, f).toContain(f);
    expect(names.filter((f) => f.startsWith("src/") || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).toEqual(
      [],
    );
    expect(files.get("LICENSE")?.toString("utf8")).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(manifest.license).toBe("Apache-2.0");
    expect(files.get("README.md")?.equals(readFileSync(join(pkgDir, "README.md")))).toBe(true);
    // the workspace's own Node floor, which tsup's target follows
    const root = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { engines: unknown };
    expect(manifest.engines).toEqual(root.engines);
    expect(manifest.name).toBe(pkg.name);
  });

  it("names in exports, main and types only files in the tarball, under no workspace condition", () => {
    const targets = [...exportTargets(manifest.exports), manifest.main, manifest.types];
    expect(targets.length).toBeGreaterThan(2);
    for (const t of targets) {
      expect(typeof t === "string" && t.startsWith("./"), String(t)).toBe(true);
      expect(files.has((t as string).slice(2)), `${t} is not in the tarball`).toBe(true);
    }
    expect(exportConditions(manifest.exports)).not.toContain("@neox/source");
    expect(manifest.publishConfig).toBeUndefined(); // pnpm applied it rather than shipping it
  });

  it("type-checks the README example with tsc --strict (NodeNext) against the installed types", async () => {
    const r = await run(process.execPath, [TSC, "-p", "."], { cwd: project });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("runs the README example with node: as the workspace source does, and as the README says", async () => {
    const packed = await run(process.execPath, ["../example.mjs"], { cwd: join(project, "run") });
    expect(packed.code, packed.stderr).toBe(0);
    expect(packed.stderr).toBe("");
    const fromSource = await run(
      process.execPath,
      ["--conditions=@neox/source", "--import", TSX_LOADER, "../example.ts"],
      { cwd: join(source, "run") },
    );
    expect(fromSource.code, fromSource.stderr).toBe(0);

    expect(packed.stdout.length).toBeGreaterThan(0);
    expect(packed.stdout).toBe(fromSource.stdout);
    expect(tree(join(project, "run"))).toEqual(tree(join(source, "run")));

    const claims = claimedOutput(example);
    expect(claims.length, "the example marks what it prints with `// →`").toBeGreaterThan(0);
    const lines = packed.stdout.split("\n").map((l) => l.trim());
    for (const claim of claims) expect(lines, `README claims a line "${claim}"`).toContain(claim);

    pkg.independent(example, packed.stdout, join(project, "run"));
  });
});

/** Every dataset the packed example wrote holds exactly the documents its addDocument calls gave. */
function dataMmapReadBack(example: string, _stdout: string, runDir: string): void {
  const documents = [...example.matchAll(/addDocument\(\[([\d,\s]+)\]\)/g)].map((m) =>
    m[1]!.split(",").map((s) => Number(s.trim())),
  );
  expect(documents.length, "the example writes documents with addDocument([...])").toBeGreaterThan(0);
  const prefixes = [...tree(runDir).keys()].filter((f) => f.endsWith(".idx")).map((f) => f.slice(0, -4));
  expect(prefixes.length, "the example wrote a .bin/.idx dataset").toBeGreaterThan(0);
  for (const prefix of prefixes) {
    const ds = IndexedDataset.open(join(runDir, prefix));
    try {
      const items = Array.from({ length: ds.length }, (_, i) => toNumbers(ds.get(i)));
      expect(items, prefix).toEqual(documents);
    } finally {
      ds.close();
    }
  }
}

/** The example's first encode is GPT-2's: its ids must equal js-tiktoken's with tiktoken's gpt2 ranks. */
function tokenizeGpt2Ids(example: string, stdout: string): void {
  const text = /\.encode\(("(?:[^"\\]|\\.)*")\)/.exec(example)?.[1];
  expect(text, "the example encodes a string literal").toBeDefined();
  const req = createRequire(resolve(REPO_ROOT, "packages/tokenize/package.json"));
  const { Tiktoken } = req("js-tiktoken/lite") as {
    Tiktoken: new (r: unknown) => { encode(s: string): number[] };
  };
  const ranks = req("js-tiktoken/ranks/gpt2") as { default?: unknown };
  const ids = new Tiktoken(ranks.default ?? ranks).encode(JSON.parse(text!) as string);
  expect(ids.length).toBeGreaterThan(0);
  expect(stdout.split("\n")[0]).toContain(inspect(ids));
}
