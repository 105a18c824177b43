// Logit parity through Hugging Face directories (issue 12, "Must show"): for a tiny model of each
// architecture hf-export maps,
//   1. the exported directory, run by tools/fixtures/hf/hf_reference.py (PyTorch, written from the
//      HF config semantics, reading only the exported config.json and safetensors), gives the
//      logits our forward gives, within 1e-5 relative (max |diff| / max |logit|);
//   2. hf-import of that directory, built from the YAML config the import writes and loaded from
//      the checkpoint it writes, gives our logits exactly (fp32 weights are copied, not rounded);
//   3. a bf16 export is read as bf16 by both: the reference on the HF directory and our model on
//      its import agree within 1e-5 as well;
//   4. a sharded export (model-0000i-of-0000N.safetensors + model.safetensors.index.json) means the
//      same model to the reference.
// Weights are random (helpers/tiny-models.ts says why that suffices); hf_reference.py computes in
// float64, so the 1e-5 budget is almost all our fp32 rounding (about 3e-7 measured).
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatProblem, parseConfigText, resolveParsed } from "@neox/config";
import { GptNeoXModel, loadWeights, sequenceLogits } from "@neox/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hfExport, hfImport } from "../src/index";
import { referenceLogits, relativeError, torchMissing } from "./helpers/python";
import { PARITY_CASES, randomModel, resolveCase, VOCAB, writeCheckpoint } from "./helpers/tiny-models";

// 12 positions: longer than Mistral's 5-key window, inside the 16-position context.
const IDS = [3, 17, 42, 8, 8, 1, 29, 33, 0, 49, 12, 5];
const TOLERANCE = 1e-5;

const missing = torchMissing();
if (missing) console.warn(`hf-parity.test.ts skipped: ${missing}`);

/** Our logits for IDS from an imported save directory, built from the config the import wrote. */
function importedLogits(hfDir: string, save: string): Float32Array {
  const imported = hfImport({ input: hfDir, output: save });
  const r = resolveParsed([parseConfigText(imported.configYaml, "imported.yml")], { vocabSize: VOCAB });
  if (r.problems.length > 0) throw new Error(`imported config: ${r.problems.map(formatProblem).join("; ")}`);
  const model = GptNeoXModel.fromConfig(r);
  try {
    loadWeights(model, save);
    return sequenceLogits(model, IDS);
  } finally {
    model.dispose();
  }
}

describe.skipIf(missing !== null)("HF logit parity", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "neox-hf-parity-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe.each(PARITY_CASES)("$name ($about)", (c) => {
    let ours: Float32Array;
    let hfDir: string;

    beforeAll(() => {
      const r = resolveCase(c);
      const model = randomModel(r);
      try {
        ours = sequenceLogits(model, IDS);
        const save = writeCheckpoint(join(work, c.name, "save"), model, r, c.yaml);
        hfDir = join(work, c.name, "hf");
        hfExport({ input: save, output: hfDir, architecture: c.architecture, precision: "fp32" });
      } finally {
        model.dispose();
      }
    });

    it("hf_reference.py on the exported directory (every field it reads stated) gives our logits within 1e-5", () => {
      const theirs = referenceLogits(hfDir, IDS, true);
      expect(theirs.length).toBe(ours.length);
      // Logits spread over several units: a near-constant output would make any two models agree.
      expect(Math.max(...ours) - Math.min(...ours)).toBeGreaterThan(2);
      expect(relativeError(ours, theirs)).toBeLessThan(TOLERANCE);
    });

    it("hf-import of the exported directory gives our logits exactly", () => {
      expect(importedLogits(hfDir, join(work, c.name, "imported"))).toEqual(ours);
    });
  });

  it.each(PARITY_CASES.filter((c) => c.name === "pythia" || c.name === "mistral-window"))(
    "$name exported as bf16: the reference on the HF directory equals our model on its import",
    (c) => {
      const r = resolveCase(c);
      const model = randomModel(r, 11);
      const save = writeCheckpoint(join(work, `${c.name}-bf16`, "save"), model, r, c.yaml);
      const fp32Logits = sequenceLogits(model, IDS);
      model.dispose();
      const hfDir = join(work, `${c.name}-bf16`, "hf");
      hfExport({ input: save, output: hfDir, architecture: c.architecture, precision: "bf16" });
      const ours = importedLogits(hfDir, join(work, `${c.name}-bf16`, "imported"));
      expect(relativeError(ours, referenceLogits(hfDir, IDS))).toBeLessThan(TOLERANCE);
      // The weights really were rounded: bf16 logits differ from the fp32 model's.
      expect(relativeError(ours, fp32Logits)).toBeGreaterThan(1e-4);
    },
  );

  it("a sharded export (16 KB shards) gives the reference our logits", () => {
    const c = PARITY_CASES.find((x) => x.name === "llama-gqa")!;
    const r = resolveCase(c);
    const model = randomModel(r, 5);
    const save = writeCheckpoint(join(work, "sharded", "save"), model, r, c.yaml);
    const ours = sequenceLogits(model, IDS);
    model.dispose();
    const hfDir = join(work, "sharded", "hf");
    hfExport({
      input: save,
      output: hfDir,
      architecture: c.architecture,
      precision: "fp32",
      shardSize: 16_384,
    });
    const shards = readdirSync(hfDir).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThan(2);
    expect(existsSync(join(hfDir, "model.safetensors"))).toBe(false);
    expect(relativeError(ours, referenceLogits(hfDir, IDS, true))).toBeLessThan(TOLERANCE);
  });

  // The parity above means something only if the reference cannot quietly run a directory that
  // does not add up (as transformers does, "with warnings"): an unused tensor, a missing one, or a
  // field left to a default are errors.
  it("the reference refuses an unused tensor, a missing tensor and (strict) a defaulted field", () => {
    const c = PARITY_CASES.find((x) => x.name === "llama-gqa")!;
    const r = resolveCase(c);
    const model = randomModel(r);
    const save = writeCheckpoint(join(work, "refusals", "save"), model, r, c.yaml);
    const V = model.spec.V;
    model.dispose();
    const good = join(work, "refusals", "hf");
    hfExport({ input: save, output: good, architecture: c.architecture, precision: "fp32" });
    const edited = (name: string, edit: (cfg: Record<string, unknown>) => void): string => {
      const dir = join(work, "refusals", name);
      cpSync(good, dir, { recursive: true });
      const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
      edit(cfg);
      writeFileSync(join(dir, "config.json"), JSON.stringify(cfg));
      return dir;
    };
    expect(referenceLogits(good, IDS, true).length).toBe(IDS.length * V);
    // Tied: lm_head.weight is left over.
    const tied = edited("tied", (cfg) => {
      cfg.tie_word_embeddings = true;
    });
    expect(() => referenceLogits(tied, IDS)).toThrow(/lm_head\.weight/);
    // With biases: q_proj.bias is missing.
    const biased = edited("biased", (cfg) => {
      cfg.attention_bias = true;
    });
    expect(() => referenceLogits(biased, IDS)).toThrow(/q_proj\.bias' is missing/);
    const noTheta = edited("no-theta", (cfg) => {
      delete cfg.rope_theta;
    });
    expect(() => referenceLogits(noTheta, IDS, true)).toThrow(/lacks \['rope_theta'\]/);
  });
});
