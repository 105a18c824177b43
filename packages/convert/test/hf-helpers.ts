// Tiny checkpoints of each architecture for the hf-export / hf-import tests: a config resolved as a
// user's YAML would be, a model built from it, every parameter filled with distinct random values
// (so a row taken from the wrong place shows), written in the trainer's checkpoint format.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatProblem, parseConfigText, resolveParsed } from "@neox/config";
import { GptNeoXModel } from "@neox/models";
import { writeCheckpoint } from "../src/checkpoint-write";

const BASE = `
num_layers: 2
hidden_size: 16
num_attention_heads: 4
seq_length: 8
max_position_embeddings: 16
make_vocab_size_divisible_by: 8
hidden_dropout: 0.0
attention_dropout: 0.0
tokenizer_type: CharLevelTokenizer
train_micro_batch_size_per_gpu: 2
`;

export const NEOX = `
pos_emb: rotary
rotary_pct: 0.5
gpt_j_residual: true
no_weight_tying: true
bias_gelu_fusion: true
`;

export const LLAMA_MHA = `
pos_emb: rotary
norm: rmsnorm
rms_norm_epsilon: 1.0e-5
activation: swiglu
intermediate_size: 64
mlp_multiple_of: 8
use_bias_in_norms: false
use_bias_in_attn_linear: false
use_bias_in_mlp: false
no_weight_tying: true
`;

export const LLAMA_GQA = `${LLAMA_MHA}num_kv_heads: 2\n`;
export const MISTRAL = `${LLAMA_GQA}sliding_window_width: 3\n`;

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `neox-hf-${prefix}-`));
}

/** Deterministic values in [-1, 1) (xorshift), distinct across parameters. */
function fill(out: Float32Array, seed: number): void {
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
}

export interface TinyCheckpoint {
  save: string;
  /** Parameter name -> values, as written. */
  params: Map<string, Float32Array>;
  model: GptNeoXModel;
}

/** A save directory (latest -> global_step0) of a tiny model with `variant` over the base config. */
export function tinyCheckpoint(variant: string, extra = "", vocab = 50): TinyCheckpoint {
  // `extra` is a second file merged over the first, as a user's override file would be.
  const yaml = `${BASE}${variant}`;
  const files = [parseConfigText(yaml, "tiny.yml"), ...(extra ? [parseConfigText(extra, "extra.yml")] : [])];
  const r0 = resolveParsed(files, { vocabSize: vocab });
  if (r0.problems.length > 0) throw new Error(r0.problems.map(formatProblem).join("; "));
  const model = GptNeoXModel.fromConfig(r0);
  const params = new Map<string, Float32Array>();
  let k = 1;
  for (const e of model.registry.entries()) {
    const data = new Float32Array(e.shape.reduce((a, d) => a * d, 1));
    fill(data, k++);
    params.set(e.name, data);
  }
  const save = tmp("ckpt");
  writeCheckpoint(save, {
    params: [...model.registry.entries()].map((e) => ({
      name: e.name,
      shape: e.shape,
      data: () => params.get(e.name)!,
    })),
    config: r0.values,
    configFiles: { "tiny.yml": yaml, ...(extra ? { "extra.yml": extra } : {}) },
    seed: 1234,
    seqLength: 8,
  });
  return { save, params, model };
}
