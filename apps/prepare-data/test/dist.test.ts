// The tsup build must find its worker (dist/worker.js next to dist/index.js). CI builds before it
// tests, so there the build is required; elsewhere the test is skipped until `pnpm build` has run.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/index.js");
const built = existsSync(DIST) && existsSync(join(dirname(DIST), "worker.js"));
if (!built && process.env.CI === "true")
  throw new Error(`CI: ${DIST} or worker.js is missing; run pnpm build first`);
if (!built) console.warn(`skipping the built-package test: ${DIST} not built (pnpm build)`);

const dir = mkdtempSync(join(tmpdir(), "prepare-data-dist-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!built)("built @neox/app-prepare-data", () => {
  it("runs its worker threads from dist/ with plain node (no TypeScript loader)", () => {
    const input = join(dir, "in.jsonl");
    writeFileSync(input, '{"text":"héllo"}\n{"text":"world"}\n');
    const script = `const { main } = await import(${JSON.stringify(pathToFileURL(DIST).href)}); process.exitCode = await main(process.argv.slice(1));`;
    const prefix = join(dir, "out");
    const r = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        script,
        "--",
        "--input",
        input,
        "--output-prefix",
        prefix,
        "--tokenizer-type",
        "CharLevelTokenizer",
        "--workers",
        "2",
      ],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    expect([...readFileSync(`${prefix}_text_document.bin`)].filter((_, i) => i % 2 === 0)).toEqual([
      ...Buffer.from("héllo"),
      ...Buffer.from("world"),
    ]);
  });
});
