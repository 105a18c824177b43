// Our YAML reading against PyYAML's: MANIFEST.json holds what PyYAML 6.0 FullLoader (GPT-NeoX's
// loader) produced for every shipped GPT-NeoX config. The one deliberate difference: a number
// written without a dot, like 6e-4, is a number here and a string in PyYAML.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../src/load/yaml-file";
import { haveShared, NEOX_CONFIGS } from "./helpers/shared";

const PYYAML_STRING_NUMBER = /^[-+]?(?:\d[\d_]*)?(?:\.\d*)?[eE][-+]?\d+$/;

/** PyYAML's value with the documented difference applied. */
function expected(v: unknown): unknown {
  if (typeof v === "string" && PYYAML_STRING_NUMBER.test(v)) return Number(v.replace(/_/g, ""));
  if (Array.isArray(v)) return v.map(expected);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expected(x)]));
  return v;
}

describe.runIf(haveShared())("YAML parity with PyYAML on GPT-NeoX's configs", () => {
  const manifest = JSON.parse(readFileSync(join(NEOX_CONFIGS, "MANIFEST.json"), "utf8")) as {
    files: Record<string, { parsed: Record<string, unknown> }>;
  };
  const files = Object.keys(manifest.files).sort();

  it("covers every config in the folder", () => {
    expect(files.length).toBe(59);
  });

  it.each(files)("%s", (file) => {
    const p = parseConfigText(readFileSync(join(NEOX_CONFIGS, file), "utf8"), file);
    expect(p.problems).toEqual([]);
    expect(p.values).toEqual(expected(manifest.files[file]!.parsed));
  });
});
