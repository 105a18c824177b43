// onnxExport from a checkpoint directory as the trainer lays it out (<save>/latest naming
// global_step0 with model.safetensors and config.json): the model is rebuilt from config.json, its
// vocabulary from the stored rows, and the graph's logits equal the saved model's; the onnx-export
// flags; and a model the exporter cannot express fails naming the key, leaving no file.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "@neox/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { exportOnnxModel, onnxExport } from "../src/onnx/export";
import { parseOnnxExportArgs } from "../src/onnx/export-args";
import { OrtEngine } from "../src/onnx/ort-engine";
import {
  maxAbsDiff,
  nativeLogits,
  removeTempDirs,
  tempDir,
  tinyConfig,
  tinyModel,
  tokenIds,
} from "./onnx-fixtures";

afterAll(removeTempDirs);

describe("onnxExport from a checkpoint", () => {
  it("rebuilds the model from config.json and exports logits equal the saved model's (Mistral, GQA + window)", () => {
    const dir = tempDir();
    const model = tinyModel("mistral");
    const step = join(dir, "global_step0");
    mkdirSync(step);
    const tensors: Record<string, { dtype: "f32"; shape: readonly number[]; data: Float32Array }> = {};
    for (const e of model.registry.entries())
      tensors[e.name] = { dtype: "f32", shape: e.shape, data: e.param.t.toFloat32Array() };
    writeSafetensors(join(step, "model.safetensors"), tensors);
    writeFileSync(join(step, "config.json"), JSON.stringify(tinyConfig("mistral").values));
    writeFileSync(join(dir, "latest"), "global_step0\n");

    const out = join(dir, "m.onnx");
    const r = onnxExport({ input: dir, output: out, kvCache: true });
    expect(r.outputs.slice(0, 3)).toEqual(["logits", "present.0.key", "present.0.value"]);
    expect(r.inputs).toContain("past_key_values.1.value");
    const seq = tokenIds(15, 3);
    const want = nativeLogits(model, [seq]);
    const ort = OrtEngine.open(out, { slots: 1, maxT: 24, vocab: model.spec.V });
    const got = ort.forward([{ slot: 0, tokens: seq, logitsFrom: 0 }]);
    expect(maxAbsDiff(got.logits, want)).toBeLessThan(1e-4);
    ort.dispose();
    expect(() => OrtEngine.open(out, { slots: 1, maxT: 24, vocab: model.spec.V + 8 })).toThrow(
      new RegExp(`${model.spec.V} vocabulary columns .* ${model.spec.V + 8}`),
    );
    // nothing but the file itself is left beside it
    expect(readdirSync(dir).sort()).toEqual(["global_step0", "latest", "m.onnx"]);
    model.dispose();
  });

  it("a directory without config.json is refused by name", () => {
    const dir = tempDir();
    writeSafetensors(join(dir, "model.safetensors"), {
      "word_embeddings.weight": { dtype: "f32", shape: [8, 4], data: new Float32Array(32) },
    });
    expect(() => onnxExport({ input: dir, output: join(dir, "x.onnx") })).toThrow(
      new RegExp(`${dir} has no config.json`),
    );
    expect(existsSync(join(dir, "x.onnx"))).toBe(false);
  });

  it("ALiBi positions are refused naming pos_emb, and no file is written", () => {
    const dir = tempDir();
    const model = tinyModel("gpt3", "pos_emb: alibi\n");
    const out = join(dir, "alibi.onnx");
    expect(() => exportOnnxModel(model, out)).toThrow(/pos_emb "alibi" is not exported/);
    expect(readdirSync(dir)).toEqual([]);
    model.dispose();
  });
});

describe("onnx-export flags", () => {
  it("parses --input, --output, --kv-cache, --precision with fp32 and no cache by default", () => {
    expect(parseOnnxExportArgs(["--input", "ck", "--output", "m.onnx"])).toEqual({
      input: "ck",
      output: "m.onnx",
      kvCache: false,
      precision: "fp32",
    });
    expect(
      parseOnnxExportArgs(["--input=ck", "--output", "m.onnx", "--kv-cache", "--precision", "fp16"]),
    ).toEqual({ input: "ck", output: "m.onnx", kvCache: true, precision: "fp16" });
  });

  it("names what is wrong", () => {
    expect(() => parseOnnxExportArgs(["--input", "ck"])).toThrow(/--input and --output are required/);
    expect(() => parseOnnxExportArgs(["--input", "ck", "--output", "m", "--precision", "bf16"])).toThrow(
      /--precision expects fp32 or fp16, got bf16/,
    );
    expect(() => parseOnnxExportArgs(["--input", "a", "--input", "b"])).toThrow(/--input given twice/);
    expect(() => parseOnnxExportArgs(["--input", "a", "--output", "m", "--opset", "18"])).toThrow(
      /unknown argument --opset/,
    );
    expect(() => parseOnnxExportArgs(["--output", "m", "--input"])).toThrow(/--input expects a value/);
  });
});
