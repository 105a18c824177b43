// A real trained model through the whole chain: llama2.c's stories260K (Llama architecture: GQA 8
// query heads on 4 kv heads, SwiGLU, tied classifier; trained on TinyStories) converted by
// tools/fixtures/hf/llama2c_to_hf.py to an HF Llama directory, then
//   1. the HF directory under hf_reference.py generates the same greedy ids as the original .bin
//      under llama2c.py (run.c's math with Meta's pair-order RoPE): the q/k row reordering and the
//      name map of the fixture script are right, so the directory is a faithful HF model;
// The 512-token tokenizer (tok512.bin) is not available offline, so everything is compared as ids.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceGenerate, runFixture, torchMissing } from "./helpers/python";

const BIN = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "shared",
  "data",
  "checkpoints",
  "stories260K",
  "stories260K.bin",
);
const BOS = 1; // llama2.c starts every sample with BOS = 1
const NEW = 48;

const missing = torchMissing() ?? (existsSync(BIN) ? null : `${BIN} not found`);
if (missing) console.warn(`stories260k.test.ts skipped: ${missing}`);

describe.skipIf(missing !== null)("stories260K: llama2.c -> HF -> neox-ts", () => {
  let work: string;
  let hfDir: string;
  let original: number[];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "neox-stories260k-"));
    hfDir = join(work, "hf");
    runFixture("llama2c_to_hf.py", [BIN, hfDir], 60_000);
    original = runFixture<{ ids: number[] }>("llama2c.py", [
      "generate",
      BIN,
      "--ids",
      String(BOS),
      "--new",
      String(NEW),
    ]).ids;
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("the HF directory generates the original checkpoint's greedy ids", () => {
    expect(original).toHaveLength(NEW + 1);
    // A model that emits one token forever would make any two implementations agree.
    expect(new Set(original).size).toBeGreaterThan(10);
    expect(referenceGenerate(hfDir, [BOS], NEW)).toEqual(original);
  });
});
