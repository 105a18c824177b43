import { describe, expect, it } from "vitest";
import { runNeox } from "./helpers/run-neox";

const ALL_VERBS = [
  "train",
  "generate",
  "eval",
  "serve",
  "prepare-data",
  "convert",
  "config",
  "data",
  "model",
];

describe("neox command", () => {
  it("--help lists every verb with an example and exits 0", () => {
    const r = runNeox(["--help"]);
    expect(r.code).toBe(0);
    for (const v of ALL_VERBS) expect(r.stdout).toMatch(new RegExp(`^  ${v} `, "m"));
    expect(r.stdout).toContain("example:");
  });

  it("an unknown verb prints the list and exits 2", () => {
    const r = runNeox(["trian"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('unknown verb "trian"');
    expect(r.stderr).toContain("prepare-data");
  });

  it("every verb has --help with usage and an example", () => {
    for (const v of ALL_VERBS) {
      const r = runNeox([v, "--help"]);
      expect(r.code, v).toBe(0);
      expect(r.stdout, v).toContain(`usage: neox ${v}`);
      expect(r.stdout, v).toContain("example:");
    }
  });
});
