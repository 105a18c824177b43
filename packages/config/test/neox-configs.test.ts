// Every config GPT-NeoX ships, checked alone, against the committed table of expected outcomes.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../src/resolve";
import { haveShared, NEOX_CONFIGS } from "./helpers/shared";
import { NEOX_CONFIGS_EXPECTED } from "./neox-configs-table";

function ymlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? ymlFiles(join(dir, e.name)) : e.name.endsWith(".yml") ? [join(dir, e.name)] : [],
  );
}

describe.runIf(haveShared())("GPT-NeoX's own configs", () => {
  const files = ymlFiles(NEOX_CONFIGS)
    .map((f) => relative(NEOX_CONFIGS, f))
    .sort();

  it("the table covers exactly the files in the folder", () => {
    expect(files).toEqual(Object.keys(NEOX_CONFIGS_EXPECTED).sort());
  });

  it.each(files)("%s", (file) => {
    const r = resolveConfig([join(NEOX_CONFIGS, file)]);
    const kinds = [...new Set(r.problems.map((p) => p.kind))].sort();
    const expected = NEOX_CONFIGS_EXPECTED[file]!;
    expect(kinds).toEqual(expected === "pass" ? [] : [...expected.kinds].sort());
    // every problem points into the file it came from
    for (const p of r.problems) if (p.line !== undefined) expect(p.file).toBe(join(NEOX_CONFIGS, file));
  });
});
