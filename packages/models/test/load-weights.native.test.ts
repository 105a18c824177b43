// loadWeights: a golden fixture loaded by GPT-NeoX's sequential names reproduces PyTorch's logits;
// a save directory resolves through `latest`; bf16 tensors widen exactly; and each kind of bad file
// (missing tensor, wrong shape, wrong dtype, a tensor in two files, unexpected tensors, `latest`
// naming a missing directory) is refused with the tensor and the expected value named, before
// any weight is written.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfigText, resolveParsed, withVocabSize } from "@neox/config";
import {
  bf16ToFloat,
  floatToBf16,
  noGrad,
  SafetensorsFile,
  type SafetensorsInput,
  Tensor,
  writeSafetensors,
} from "@neox/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { GptNeoXModel, loadWeights } from "../src/index";
import { TINY_NEOX, tinyConfig } from "./helpers";

const GOLDEN = join(import.meta.dirname, "fixtures", "golden");
const tmp = mkdtempSync(join(tmpdir(), "neox-load-weights-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const freshDir = (): string => {
  const d = join(tmp, `case-${n++}`);
  mkdirSync(d);
  return d;
};

const tiny = (seed: number) => GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX), { seed });

/** The model's parameters as safetensors inputs under our names, with `edit` applied. */
function ourTensors(
  model: GptNeoXModel,
  edit: (t: Record<string, SafetensorsInput>) => void = () => {},
): Record<string, SafetensorsInput> {
  const out: Record<string, SafetensorsInput> = {};
  for (const e of model.registry.entries())
    out[e.name] = { dtype: "F32", shape: e.shape, data: e.param.t.toFloat32Array() };
  edit(out);
  return out;
}

const flatOf = (m: GptNeoXModel) => m.registry.flat.data.toFloat32Array();

describe("loadWeights", () => {
  it("loads a golden fixture by GPT-NeoX's names and reproduces its logits (1e-5)", () => {
    const desc = JSON.parse(readFileSync(join(GOLDEN, "neox_parallel.json"), "utf8"));
    const r = withVocabSize(
      resolveParsed([parseConfigText(JSON.stringify(desc.config), "neox_parallel.json")], {}),
      desc.vocab_size,
    );
    const dir = freshDir();
    copyFileSync(join(GOLDEN, "neox_parallel.safetensors"), join(dir, "model.safetensors"));
    const model = GptNeoXModel.fromConfig(r);
    try {
      // the fixture keeps inputs, labels, logits and gradients beside the weights
      expect(() => loadWeights(model, dir)).toThrow(/tensor\(s\) name no parameter of the model: .*inputs/);
      const got = loadWeights(model, dir, { extra: "ignore" });
      const count = [...model.registry.entries()].length;
      expect(got.loaded).toBe(count);
      expect(got.sequential).toBe(count);
      expect(got.extra).toContain("logits");
      expect(got.extra.some((x) => x.startsWith("grad."))).toBe(true);

      const f = SafetensorsFile.open(join(dir, "model.safetensors"));
      const [B, T] = f.entry("inputs").shape as [number, number];
      const ids = Int32Array.from(f.readArray("inputs") as BigInt64Array, Number);
      const want = f.readArray("logits") as Float32Array;
      f.close();
      const x = Tensor.fromArray(ids, [B, T], { dtype: "i32" });
      const logits = noGrad(() => model.forward(x).toFloat32Array());
      x.dispose();
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(logits[i]! - want[i]!));
      expect(diff).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
  });

  it("follows a save directory's `latest` to global_stepN; our names; bf16 widened exactly", () => {
    const src = tiny(1);
    const save = freshDir();
    mkdirSync(join(save, "global_step7"));
    writeFileSync(join(save, "latest"), "global_step7\n");
    const norm = "layers.1.input_layernorm.weight";
    const bf16 = Uint16Array.from(
      src.registry.flat.get("word_embeddings.weight").toFloat32Array(),
      floatToBf16,
    );
    writeSafetensors(
      join(save, "global_step7", "model.safetensors"),
      ourTensors(src, (t) => {
        t["word_embeddings.weight"] = {
          dtype: "BF16",
          shape: t["word_embeddings.weight"]!.shape,
          data: bf16,
        };
        delete t[norm];
      }),
    );
    // the missing norm weight in a second file of the same directory
    writeSafetensors(join(save, "global_step7", "model-2.safetensors"), {
      [norm]: src.registry.flat.get(norm),
    });
    const dst = tiny(2);
    try {
      expect(flatOf(dst)).not.toEqual(flatOf(src));
      const got = loadWeights(dst, save);
      expect(got.via).toContain("global_step7");
      expect(got.files).toHaveLength(2);
      expect(got.sequential).toBe(0);
      expect(got.widened).toEqual(["word_embeddings.weight"]);
      const host = dst.registry.toHost();
      for (const [name, v] of src.registry.toHost()) {
        if (name === "word_embeddings.weight")
          expect(host.get(name)).toEqual(Float32Array.from(bf16, bf16ToFloat));
        else expect(host.get(name), name).toEqual(v);
      }
    } finally {
      src.dispose();
      dst.dispose();
    }
  });

  describe("bad input: the error names the tensor and the expected value; no weight changes", () => {
    const model = tiny(3);
    const before = flatOf(model);
    afterAll(() => model.dispose());
    const refused = (dir: string, pattern: RegExp) => {
      expect(() => loadWeights(model, dir)).toThrow(pattern);
      expect(flatOf(model)).toEqual(before);
    };

    it("a missing tensor: both names, the expected shape and the file searched", () => {
      const dir = freshDir();
      writeSafetensors(
        join(dir, "w.safetensors"),
        ourTensors(model, (t) => delete t["layers.0.mlp.linear2.bias"]),
      );
      refused(
        dir,
        /missing tensor "layers\.0\.mlp\.linear2\.bias" \(or "sequential\.2\.mlp\.linear2\.bias"\), expected shape \[16\]: not in .*w\.safetensors/,
      );
    });

    it("a wrong shape: the tensor, what was found and what was expected", () => {
      const dir = freshDir();
      writeSafetensors(
        join(dir, "w.safetensors"),
        ourTensors(model, (t) => {
          t["norm.weight"] = { dtype: "F32", shape: [17], data: new Float32Array(17) };
        }),
      );
      refused(dir, /tensor "norm\.weight" has shape \[17\], expected \[16\]/);
    });

    it("a dtype that would need rounding (F64): refused with the dtypes accepted", () => {
      const dir = freshDir();
      writeSafetensors(
        join(dir, "w.safetensors"),
        ourTensors(model, (t) => {
          t["norm.bias"] = { dtype: "F64", shape: [16], data: new Float64Array(16) };
        }),
      );
      refused(dir, /tensor "norm\.bias" is F64, expected F32 \(or BF16\/F16/);
    });

    it("a tensor in two files: both files named", () => {
      const dir = freshDir();
      writeSafetensors(join(dir, "a.safetensors"), ourTensors(model));
      writeSafetensors(join(dir, "b.safetensors"), { "norm.bias": model.registry.flat.get("norm.bias") });
      refused(dir, /tensor "norm\.bias" is in two files: .*a\.safetensors and .*b\.safetensors/);
    });

    it("one parameter under both naming schemes", () => {
      const dir = freshDir();
      writeSafetensors(
        join(dir, "a.safetensors"),
        ourTensors(model, (t) => {
          t["sequential.5.norm.bias"] = t["norm.bias"]!;
        }),
      );
      refused(
        dir,
        /parameter norm\.bias is stored twice: as "norm\.bias" .* and as "sequential\.5\.norm\.bias"/,
      );
    });

    it("a tensor that names no parameter", () => {
      const dir = freshDir();
      writeSafetensors(
        join(dir, "a.safetensors"),
        ourTensors(model, (t) => {
          t["layers.9.mlp.linear1.weight"] = { dtype: "F32", shape: [1], data: new Float32Array(1) };
        }),
      );
      refused(dir, /1 tensor\(s\) name no parameter of the model: layers\.9\.mlp\.linear1\.weight/);
    });

    it("`latest` naming a directory that does not exist", () => {
      const dir = freshDir();
      writeFileSync(join(dir, "latest"), "global_step100");
      refused(dir, /latest names "global_step100", but .*global_step100 is not a directory/);
    });

    it("a directory without safetensors files", () => {
      const dir = freshDir();
      mkdirSync(join(dir, "global_step3"));
      refused(dir, /expected \*\.safetensors files, found none \(it holds global_step3 but no "latest" file/);
    });
  });
});
