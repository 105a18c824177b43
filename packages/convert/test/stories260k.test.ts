// A real trained model through the whole chain: llama2.c's stories260K (Llama architecture: GQA 8
// query heads on 4 kv heads, SwiGLU, tied classifier; trained on TinyStories) converted by
// tools/fixtures/hf/llama2c_to_hf.py to an HF Llama directory, then
//   1. the HF directory under hf_reference.py generates the same greedy ids as the original .bin
//      under llama2c.py (run.c's math with Meta's pair-order RoPE): the q/k row reordering and the
//      name map of the fixture script are right, so the directory is a faithful HF model;
//   2. hf-import of the HF directory, built from the YAML config the import writes, generates the
//      same ids in neox-ts through the InferenceEngine (prefill, then one cached decode step per
//      token), the path `neox generate` takes, and its logits over that whole sequence equal
//      hf_reference.py's within 1e-5 of the largest logit.
// The 512-token tokenizer (tok512.bin) is not available offline, so everything is compared as ids.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatProblem, parseConfigText, resolveParsed } from "@neox/config";
import { GptNeoXModel, InferenceEngine, loadWeights, sequenceLogits } from "@neox/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hfImport } from "../src/index";
import {
  referenceGenerate,
  referenceLogits,
  relativeError,
  runFixture,
  torchMissing,
} from "./helpers/python";

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
const VOCAB = 512; // the checkpoint's header; no tokenizer to read it from

/** Greedy ids after `prompt` with our engine: one prefill pass, then a cached step per token. */
function engineGreedy(model: GptNeoXModel, prompt: readonly number[], n: number): number[] {
  const engine = new InferenceEngine(model, { slots: 1 });
  try {
    const ids = [...prompt];
    let out = engine.forward([{ slot: 0, tokens: prompt }], { logits: false });
    for (let i = 0; i < n; i++) {
      const next = out.argmax[0]!;
      ids.push(next);
      if (i + 1 < n) out = engine.forward([{ slot: 0, tokens: [next] }], { logits: false });
    }
    return ids;
  } finally {
    engine.dispose();
  }
}

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

  it("hf-import of the HF directory generates the same greedy ids in neox-ts", () => {
    const save = join(work, "imported");
    const imported = hfImport({ input: hfDir, output: save });
    expect(imported.architecture).toContain("Llama");
    const r = resolveParsed([parseConfigText(imported.configYaml, "stories260k.yml")], { vocabSize: VOCAB });
    if (r.problems.length > 0)
      throw new Error(`imported config: ${r.problems.map(formatProblem).join("; ")}`);
    const model = GptNeoXModel.fromConfig(r);
    try {
      expect(model.spec.NKV).toBe(4);
      expect(model.spec.tiedOutput).toBe(true);
      loadWeights(model, save);
      model.dropout.training = false;
      expect(engineGreedy(model, [BOS], NEW)).toEqual(original);
      const err = relativeError(sequenceLogits(model, original), referenceLogits(hfDir, original, true));
      expect(err).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
  });
});
