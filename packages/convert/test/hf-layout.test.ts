// What the exported directory holds, checked against the layouts as GPT-NeoX defines them (not
// against the converter's own inverse): the fused QKV rows per head (MHA) or per block (GQA), the
// gated MLP halves, the true MLP width, Mistral's window + 1, and the imported YAML.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatProblem, parseConfigText, resolveParsed } from "@neox/config";
import { SafetensorsFile } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { hfExport } from "../src/hf-export";
import { hfImport } from "../src/hf-import";
import { LLAMA_GQA, LLAMA_MHA, MISTRAL, NEOX, type TinyCheckpoint, tinyCheckpoint, tmp } from "./hf-helpers";

function exported(ck: TinyCheckpoint, architecture: "neox" | "llama" | "mistral") {
  const dir = join(tmp("out"), "hf");
  hfExport({ input: ck.save, output: dir, architecture, precision: "fp32" });
  const f = SafetensorsFile.open(join(dir, "model.safetensors"));
  const get = (n: string) => f.readArray(n) as Float32Array;
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  return { dir, f, get, config };
}

/** Rows [from, to) of a row-major [rows, cols] array. */
const rows = (a: Float32Array, cols: number, from: number, to: number) => a.slice(from * cols, to * cols);

describe("hf-export layout", () => {
  it("llama MHA: q/k/v from GPT-NeoX's per-head interleaved [q_h | k_h | v_h] rows", () => {
    const ck = tinyCheckpoint(LLAMA_MHA);
    const { get, f } = exported(ck, "llama");
    const { NH, HS, C } = ck.model.spec;
    const fused = ck.params.get("layers.1.attention.query_key_value.weight")!;
    for (const [j, name] of ["q_proj", "k_proj", "v_proj"].entries()) {
      const got = get(`model.layers.1.self_attn.${name}.weight`);
      for (let h = 0; h < NH; h++)
        expect(rows(got, C, h * HS, (h + 1) * HS)).toEqual(
          rows(fused, C, (3 * h + j) * HS, (3 * h + j + 1) * HS),
        );
    }
    f.close();
  });

  it("llama GQA: q/k/v from the blocked [Q | K | V] rows; gate/up from linear1's halves", () => {
    const ck = tinyCheckpoint(LLAMA_GQA);
    const { get, f, config } = exported(ck, "llama");
    const { NH, NKV, HS, C, linear2In } = ck.model.spec;
    const fused = ck.params.get("layers.0.attention.query_key_value.weight")!;
    expect(get("model.layers.0.self_attn.q_proj.weight")).toEqual(rows(fused, C, 0, NH * HS));
    expect(get("model.layers.0.self_attn.k_proj.weight")).toEqual(rows(fused, C, NH * HS, (NH + NKV) * HS));
    expect(get("model.layers.0.self_attn.v_proj.weight")).toEqual(
      rows(fused, C, (NH + NKV) * HS, (NH + 2 * NKV) * HS),
    );
    // GPT-NeoX's SwiGLU: linear1 = [up ‖ gate], the activation on the second half.
    const linear1 = ck.params.get("layers.0.mlp.linear1.weight")!;
    expect(get("model.layers.0.mlp.up_proj.weight")).toEqual(rows(linear1, C, 0, linear2In));
    expect(get("model.layers.0.mlp.gate_proj.weight")).toEqual(rows(linear1, C, linear2In, 2 * linear2In));
    // The true width: the config's intermediate_size 64 builds linear2 with 24 inputs.
    expect(linear2In).toBe(24);
    expect(config.intermediate_size).toBe(linear2In);
    expect(config.num_key_value_heads).toBe(NKV);
    expect(config.hidden_act).toBe("silu");
    expect(config.vocab_size).toBe(56); // 50 padded to a multiple of 8
    expect(config.tie_word_embeddings).toBe(false);
    expect(config.bos_token_id).toBe(0); // CharLevelTokenizer's eod
    f.close();
  });

  it("mistral: sliding_window is GPT-NeoX's width + 1 (w = 3 sees 4 keys)", () => {
    const { config, f } = exported(tinyCheckpoint(MISTRAL), "mistral");
    expect(config.architectures).toEqual(["MistralForCausalLM"]);
    expect(config.sliding_window).toBe(4);
    f.close();
  });

  it("neox: QKV copied as is; tanh GELU is gelu_new, exact GELU gelu; tied output has no embed_out", () => {
    const ck = tinyCheckpoint(NEOX);
    const { get, config, f } = exported(ck, "neox");
    expect(get("gpt_neox.layers.0.attention.query_key_value.weight")).toEqual(
      ck.params.get("layers.0.attention.query_key_value.weight"),
    );
    expect(config.hidden_act).toBe("gelu_new");
    expect(config.rotary_pct).toBe(0.5);
    expect(config.use_parallel_residual).toBe(true);
    expect(config.intermediate_size).toBe(64);
    f.close();
    const tied = exported(
      tinyCheckpoint(
        NEOX.replace("bias_gelu_fusion: true", "bias_gelu_fusion: false").replace(
          "no_weight_tying: true",
          "no_weight_tying: false",
        ),
      ),
      "neox",
    );
    expect(tied.config.hidden_act).toBe("gelu");
    expect(tied.config.tie_word_embeddings).toBe(true);
    expect(tied.f.has("embed_out.weight")).toBe(false);
    tied.f.close();
  });
});

describe("hf-import config", () => {
  it("writes a YAML that validates and rebuilds the same model", () => {
    const ck = tinyCheckpoint(MISTRAL);
    const hf = join(tmp("out"), "hf");
    hfExport({ input: ck.save, output: hf, architecture: "mistral" });
    const configOut = join(tmp("out"), "model.yml");
    const r = hfImport({ input: hf, output: join(tmp("out"), "ckpt"), configOut });
    const text = readFileSync(configOut, "utf8");
    expect(text).toBe(r.configYaml);
    expect(text).toMatch(/no tokenizer files/);
    const resolved = resolveParsed([parseConfigText(text, configOut)], { vocabSize: 50 });
    expect(resolved.problems.map(formatProblem)).toEqual([]);
    expect(resolved.derived.padded_vocab_size).toBe(56);
    expect(resolved.values.sliding_window_width).toBe(3);
    expect(resolved.values.num_kv_heads).toBe(2);
    expect(resolved.derived.mlp_linear2_in_features).toBe(ck.model.spec.linear2In);
    expect(resolved.derived.mlp_linear1_out_features).toBe(ck.model.spec.linear1Out);
  });
});
