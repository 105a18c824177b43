// checkpoint -> HF -> checkpoint: the weights file comes back byte for byte (fp32), or as the
// bf16-rounded originals (bf16); the HF side has the tensors and config fields transformers reads.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bf16ToFloat, f16ToFloat, floatToBf16, floatToF16, SafetensorsFile } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { hfExport } from "../src/hf-export";
import { hfImport } from "../src/hf-import";
import { LLAMA_GQA, LLAMA_MHA, MISTRAL, NEOX, tinyCheckpoint, tmp } from "./hf-helpers";

const weightsOf = (save: string) => readFileSync(join(save, "global_step0", "model.safetensors"));
const hfConfig = (dir: string) => JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));

const CASES = [
  { name: "neox untied", arch: "neox", variant: NEOX, extra: "", tied: false },
  {
    name: "neox tied, sequential",
    arch: "neox",
    variant: NEOX,
    extra: "no_weight_tying: false\ngpt_j_residual: false\n",
    tied: true,
  },
  { name: "llama MHA", arch: "llama", variant: LLAMA_MHA, extra: "", tied: false },
  { name: "llama GQA", arch: "llama", variant: LLAMA_GQA, extra: "", tied: false },
  {
    name: "llama GQA tied",
    arch: "llama",
    variant: LLAMA_GQA,
    extra: "no_weight_tying: false\n",
    tied: true,
  },
  { name: "mistral (sliding window, GQA)", arch: "mistral", variant: MISTRAL, extra: "", tied: false },
] as const;

describe("hf round trip", () => {
  for (const c of CASES)
    it(`${c.name}: fp32 export and import give back the same model.safetensors bytes`, () => {
      const ck = tinyCheckpoint(c.variant, c.extra);
      expect(ck.model.spec.tiedOutput).toBe(c.tied);
      const hf = join(tmp("out"), "hf");
      hfExport({ input: ck.save, output: hf, architecture: c.arch, precision: "fp32" });
      const back = join(tmp("out"), "ckpt");
      const r = hfImport({ input: hf, output: back });
      expect(r.architecture).toBe(hfConfig(hf).architectures[0]);
      const a = weightsOf(ck.save);
      const b = weightsOf(back);
      expect(b.length).toBe(a.length);
      expect(Buffer.compare(a, b)).toBe(0);
    });

  const LOW = [
    {
      precision: "bf16",
      dtype: "BF16",
      torch: "bfloat16",
      round: (x: number) => bf16ToFloat(floatToBf16(x)),
    },
    { precision: "fp16", dtype: "F16", torch: "float16", round: (x: number) => f16ToFloat(floatToF16(x)) },
  ] as const;
  for (const low of LOW)
    it(`${low.precision}: the imported weights are the originals rounded to ${low.precision}`, () => {
      const ck = tinyCheckpoint(LLAMA_GQA);
      const hf = join(tmp("out"), "hf");
      hfExport({ input: ck.save, output: hf, architecture: "llama", precision: low.precision });
      expect(hfConfig(hf).torch_dtype).toBe(low.torch);
      const f = SafetensorsFile.open(join(hf, "model.safetensors"));
      expect(new Set(f.entries.map((e) => e.dtype))).toEqual(new Set([low.dtype]));
      f.close();
      const back = join(tmp("out"), "ckpt");
      hfImport({ input: hf, output: back });
      const g = SafetensorsFile.open(join(back, "global_step0", "model.safetensors"));
      let changed = 0;
      for (const [name, orig] of ck.params) {
        const got = g.readArray(name) as Float32Array;
        const want = orig.map(low.round);
        expect(got).toEqual(want);
        for (let i = 0; i < orig.length; i++) if (orig[i] !== want[i]) changed++;
      }
      g.close();
      expect(changed).toBeGreaterThan(0); // the rounding was real, not a no-op
    });

  it("precision auto follows the run: bf16 and fp16 configs export as such, fp32 otherwise", () => {
    const cases = [
      ["", "float32"],
      ["precision: bfloat16\n", "bfloat16"],
      ["bf16: {enabled: true}\n", "bfloat16"],
      ["fp16: {enabled: true}\n", "float16"],
    ] as const;
    for (const [extra, torch] of cases) {
      const ck = tinyCheckpoint(NEOX, extra);
      const hf = join(tmp("out"), "hf");
      const r = hfExport({ input: ck.save, output: hf, architecture: "neox" });
      expect(hfConfig(hf).torch_dtype, extra).toBe(torch);
      expect(r.precision).toBe({ float32: "fp32", bfloat16: "bf16", float16: "fp16" }[torch]);
    }
  });

  it("shards: a small shard size splits the weights and writes the index", () => {
    const ck = tinyCheckpoint(NEOX);
    const hf = join(tmp("out"), "hf");
    const r = hfExport({
      input: ck.save,
      output: hf,
      architecture: "neox",
      precision: "fp32",
      shardSize: 4096,
    });
    const index = JSON.parse(readFileSync(join(hf, "model.safetensors.index.json"), "utf8"));
    const shards = new Set(Object.values(index.weight_map));
    expect(shards.size).toBeGreaterThan(1);
    expect(r.files).toContain("model.safetensors.index.json");
    const back = join(tmp("out"), "ckpt");
    hfImport({ input: hf, output: back });
    expect(Buffer.compare(weightsOf(ck.save), weightsOf(back))).toBe(0);
  });
});
