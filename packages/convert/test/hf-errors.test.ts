// hf-import and hf-export refuse what they cannot convert exactly, name the tensor, field or file,
// and write nothing (no output directory, no temporary left beside it).
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SafetensorsFile, type SafetensorsInput, writeSafetensors } from "@neox/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { hfExport } from "../src/hf-export";
import { hfImport } from "../src/hf-import";
import { LLAMA_GQA, NEOX, tinyCheckpoint, tmp } from "./hf-helpers";

let hf: string;
let save: string;

beforeAll(() => {
  save = tinyCheckpoint(LLAMA_GQA).save;
  hf = join(tmp("src"), "hf");
  hfExport({ input: save, output: hf, architecture: "llama", precision: "fp32" });
});

/** A copy of the exported directory with its weights rewritten by `edit`. */
function variant(edit: (t: Record<string, SafetensorsInput>) => void): string {
  const dir = join(tmp("bad"), "hf");
  cpSync(hf, dir, { recursive: true });
  const f = SafetensorsFile.open(join(hf, "model.safetensors"));
  const t: Record<string, SafetensorsInput> = {};
  for (const e of f.entries) t[e.name] = { dtype: e.dtype, shape: e.shape, data: f.readBytes(e.name) };
  f.close();
  edit(t);
  writeSafetensors(join(dir, "model.safetensors"), t, { format: "pt" });
  return dir;
}

function refused(input: string, message: RegExp): void {
  const parent = tmp("out");
  const output = join(parent, "ckpt");
  expect(() => hfImport({ input, output })).toThrow(message);
  expect(existsSync(output)).toBe(false);
  expect(readdirSync(dirname(output))).toEqual([]);
}

describe("hf-import refuses", () => {
  it("a missing tensor, by name", () => {
    const dir = variant((t) => {
      delete t["model.layers.1.self_attn.k_proj.weight"];
    });
    refused(dir, /tensor "model\.layers\.1\.self_attn\.k_proj\.weight" \[8, 16\] is missing/);
  });

  it("an extra tensor, by name", () => {
    const dir = variant((t) => {
      t["model.layers.0.self_attn.extra.weight"] = { dtype: "F32", shape: [2], data: new Float32Array(2) };
    });
    refused(dir, /tensor "model\.layers\.0\.self_attn\.extra\.weight" is not part of LlamaForCausalLM/);
  });

  it("an output head a tied config does not have", () => {
    const dir = variant(() => {});
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, tie_word_embeddings: true }));
    refused(dir, /tensor "lm_head\.weight" is not part of .*tie_word_embeddings is true/);
  });

  it("a wrong shape, naming the tensor and both shapes", () => {
    const dir = variant((t) => {
      t["model.layers.0.self_attn.v_proj.weight"] = {
        dtype: "F32",
        shape: [4, 16],
        data: new Float32Array(64),
      };
    });
    refused(
      dir,
      /tensor "model\.layers\.0\.self_attn\.v_proj\.weight" has shape \[4, 16\], expected \[8, 16\]/,
    );
  });

  it("an unsupported architectures entry", () => {
    const dir = variant(() => {});
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ ...config, architectures: ["FalconForCausalLM"] }),
    );
    refused(
      dir,
      /architectures entry "FalconForCausalLM" is not supported \(GPTNeoXForCausalLM, LlamaForCausalLM, MistralForCausalLM are\)/,
    );
  });

  it("a config field no table maps", () => {
    const dir = variant(() => {});
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ ...config, rope_scaling: { type: "linear", factor: 2 } }),
    );
    refused(dir, /"rope_scaling": .* is not built/);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, qk_layernorm: true }));
    refused(dir, /field "qk_layernorm" = true has no meaning in the llama table/);
  });

  it("the same setting under two names that disagree (newer transformers save both)", () => {
    const neox = join(tmp("src"), "hf");
    hfExport({ input: tinyCheckpoint(NEOX).save, output: neox, architecture: "neox" });
    const config = JSON.parse(readFileSync(join(neox, "config.json"), "utf8"));
    expect(config.partial_rotary_factor).toBe(config.rotary_pct);
    writeFileSync(join(neox, "config.json"), JSON.stringify({ ...config, partial_rotary_factor: 1 }));
    refused(neox, /"partial_rotary_factor": 1 disagrees with "rotary_pct": 0\.5/);
  });

  it("a truncated safetensors file, naming the file", () => {
    const dir = variant(() => {});
    const path = join(dir, "model.safetensors");
    truncateSync(path, readFileSync(path).length - 100);
    refused(dir, /model\.safetensors/);
  });

  it("PyTorch .bin weights, saying how to convert them", () => {
    const dir = variant(() => {});
    rmSync(join(dir, "model.safetensors"));
    writeFileSync(join(dir, "pytorch_model.bin"), "not read");
    refused(dir, /pytorch_model\.bin: PyTorch pickle weights .*safe_serialization=True/);
  });
});

describe("hf-export refuses", () => {
  it("a model the HF class cannot express, naming the keys", () => {
    const output = join(tmp("out"), "hf");
    expect(() => hfExport({ input: save, output, architecture: "neox" })).toThrow(
      /cannot export as GPTNeoXForCausalLM: .*num_kv_heads.*norm: .*activation/,
    );
    expect(existsSync(output)).toBe(false);
    expect(() => hfExport({ input: tinyCheckpoint(NEOX).save, output, architecture: "llama" })).toThrow(
      /LlamaForCausalLM has RMSNorm without bias/,
    );
    expect(existsSync(output)).toBe(false);
  });

  it("a checkpoint whose weights are not its config's model, naming the parameter", () => {
    const ck = tinyCheckpoint(LLAMA_GQA);
    const path = join(ck.save, "global_step0", "model.safetensors");
    const f = SafetensorsFile.open(path);
    const t: Record<string, SafetensorsInput> = {};
    for (const e of f.entries) t[e.name] = { dtype: e.dtype, shape: e.shape, data: f.readBytes(e.name) };
    f.close();
    const output = join(tmp("out"), "hf");
    const write = () => writeSafetensors(path, t, { format: "neox-ts-checkpoint", iteration: "0" });
    t["layers.1.attention.query_key_value.weight"] = {
      dtype: "F32",
      shape: [24, 16],
      data: new Float32Array(384),
    };
    write();
    expect(() => hfExport({ input: ck.save, output, architecture: "llama" })).toThrow(
      /parameter "layers\.1\.attention\.query_key_value\.weight" has shape \[24, 16\], but the checkpoint's config gives \[32, 16\]/,
    );
    delete t["layers.1.attention.query_key_value.weight"];
    write();
    expect(() => hfExport({ input: ck.save, output, architecture: "llama" })).toThrow(
      /parameter "layers\.1\.attention\.query_key_value\.weight" \[32, 16\] is missing/,
    );
    expect(existsSync(output)).toBe(false);
  });

  it("a non-empty output directory unless told to replace it", () => {
    const output = join(tmp("out"), "hf");
    cpSync(hf, output, { recursive: true });
    expect(() => hfExport({ input: save, output, architecture: "llama" })).toThrow(/exists and is not empty/);
    hfExport({ input: save, output, architecture: "llama", overwrite: true });
    expect(existsSync(join(output, "model.safetensors"))).toBe(true);
  });
});
