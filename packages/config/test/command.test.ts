// resolveForVerb: a config with problems prints each (file:line) and the count, and yields null.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveForVerb, UsageError } from "../src/index";

const dir = mkdtempSync(join(tmpdir(), "neox-command-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolveForVerb", () => {
  it("returns the resolved config when there is no problem", () => {
    writeFileSync(
      join(dir, "ok.yml"),
      "num_layers: 2\nhidden_size: 64\nseq_length: 32\nmax_position_embeddings: 32\ntrain_micro_batch_size_per_gpu: 2\n",
    );
    const lines: string[] = [];
    const r = resolveForVerb("generate", [join(dir, "ok.yml")], ["num_attention_heads=4"], (l) =>
      lines.push(l),
    );
    expect(lines).toEqual([]);
    expect(r?.values.num_attention_heads).toBe(4);
  });

  it("writes every problem with its file:line, then the count, and returns null", () => {
    writeFileSync(join(dir, "bad.yml"), "num_layers: two\nhiden_size: 64\n");
    const lines: string[] = [];
    expect(resolveForVerb("serve", [join(dir, "bad.yml")], [], (l) => lines.push(l))).toBeNull();
    expect(lines.at(-1)).toBe(`neox serve: ${lines.length - 1} problem(s) in the config`);
    expect(lines.length - 1).toBeGreaterThanOrEqual(2);
    expect(lines.slice(0, -1).every((l) => l.includes("bad.yml:"))).toBe(true);
  });

  it("UsageError carries exit code 2", () => {
    expect(new UsageError("x").exitCode).toBe(2);
  });
});
