// turbo replays a cached result when a task's hash is unchanged, so an input missing from
// turbo.json means a stale pass. For each edit in the table, on a copy of this working tree, the
// tasks that can be affected must get a new hash and the others must keep theirs. The last test
// breaks turbo.json on purpose and checks that this test notices.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkEdits, copyWorkspace, describeFailures, type WorkspaceCopy } from "../src/index";
import { TEST_CPP_ROWS, TEST_ROWS } from "./table";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
let copy: WorkspaceCopy;

beforeAll(() => {
  copy = copyWorkspace(REPO);
});
afterAll(() => copy?.remove());

describe("turbo task hashes follow every input", () => {
  it("test: each edit gives exactly the affected test tasks a new hash", () => {
    const results = checkEdits(copy, TEST_ROWS, "test");
    expect(describeFailures(results)).toEqual([]);
    // The table is not vacuous: a dependency edit reaches a dependent, and some edit leaves others alone.
    expect(results.length).toBe(TEST_ROWS.length);
  });

  it("test:cpp: the C++ kernel tests rerun for kernel sources and tests only", () => {
    expect(describeFailures(checkEdits(copy, TEST_CPP_ROWS, "test:cpp"))).toEqual([]);
  });

  it("notices an input removed from turbo.json", () => {
    const turboJson = join(copy.root, "turbo.json");
    const original = readFileSync(turboJson, "utf8");
    const config = JSON.parse(original);
    // What the repository once had: tests hashed their own package's files only.
    config.tasks.test.dependsOn = ["build:native"];
    writeFileSync(turboJson, JSON.stringify(config));
    try {
      const failures = describeFailures(checkEdits(copy, TEST_ROWS.slice(0, 1), "test"));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/kept the old hash: .*@neox\/app-cli#test.*@neox\/e2e-tests#test/);
    } finally {
      writeFileSync(turboJson, original);
    }
  });
});
