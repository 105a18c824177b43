// Tiny models of each architecture hf-export maps, with random weights written as a neox-ts
// checkpoint (the trainer's layout: <save>/latest, global_step1/{model.safetensors, config.json,
// configs/*.yml}).
//
// Random weights, not trained ones: logit parity checks that two implementations compute the same
// function of the same weights, which any weights test as well as trained ones do, provided every
// weight matters. So nothing keeps its initial value: norm scales are 1 ± 0.3 and biases ± 0.2
// (initialised to exactly 1 and 0 they would hide a swapped or dropped norm or bias), and matrices
// are scaled by 1/sqrt(fan in) so activations stay O(1) and the logits spread over a few units.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatProblem, parseConfigText, type ResolvedConfig, resolveParsed } from "@neox/config";
import { GptNeoXModel } from "@neox/models";
import { type SafetensorsInput, writeSafetensors } from "@neox/tensor";

const BASE = `
num_layers: 2
hidden_size: 32
num_attention_heads: 4
seq_length: 16
max_position_embeddings: 16
make_vocab_size_divisible_by: 8
hidden_dropout: 0.0
attention_dropout: 0.0
train_micro_batch_size_per_gpu: 1
tokenizer_type: CharLevelTokenizer
`;

const LLAMA = `
pos_emb: rotary
rotary_pct: 1.0
rotary_emb_base: 10000
norm: rmsnorm
rms_norm_epsilon: 1.0e-5
activation: swiglu
intermediate_size: 96
mlp_multiple_of: 8
use_bias_in_norms: false
use_bias_in_attn_linear: false
use_bias_in_mlp: false
gpt_j_residual: false
`;

export interface ParityCase {
  name: string;
  architecture: "neox" | "llama" | "mistral";
  /** What the case covers. */
  about: string;
  yaml: string;
}

export const PARITY_CASES: readonly ParityCase[] = [
  {
    name: "pythia",
    architecture: "neox",
    about: "Pythia: rotary on half of each head (base 1000), parallel residual, exact GELU, untied",
    yaml: `pos_emb: rotary\nrotary_pct: 0.5\nrotary_emb_base: 1000\ngpt_j_residual: true\nno_weight_tying: true\nbias_gelu_fusion: false\nnorm: layernorm\nlayernorm_epsilon: 1.0e-5\n`,
  },
  {
    name: "neox-sequential-tied",
    architecture: "neox",
    about: "GPT-NeoX: sequential residual, full rotary, tanh GELU (bias_gelu_fusion), tied output",
    yaml: `pos_emb: rotary\nrotary_pct: 1.0\ngpt_j_residual: false\nno_weight_tying: false\nbias_gelu_fusion: true\nnorm: layernorm\nlayernorm_epsilon: 1.0e-4\n`,
  },
  {
    name: "llama-gqa",
    architecture: "llama",
    about: "Llama with GQA (4 query heads on 2 kv heads), untied",
    yaml: `${LLAMA}num_kv_heads: 2\nno_weight_tying: true\n`,
  },
  {
    name: "llama-mha-tied",
    architecture: "llama",
    about: "Llama without GQA (GPT-NeoX's interleaved QKV layout), rope base 500000, tied output",
    yaml: `${LLAMA}rotary_emb_base: 500000\nno_weight_tying: false\n`,
  },
  {
    name: "mistral-window",
    architecture: "mistral",
    about: "Mistral: GQA and a sliding window (width 4: 5 keys) much shorter than the 12-token sequence",
    yaml: `${LLAMA}num_kv_heads: 2\nsliding_window_width: 4\nno_weight_tying: true\n`,
  },
];

export const VOCAB = 50;

export function resolveCase(c: ParityCase): ResolvedConfig {
  const r = resolveParsed([parseConfigText(BASE, "base.yml"), parseConfigText(c.yaml, `${c.name}.yml`)], {
    vocabSize: VOCAB,
  });
  if (r.problems.length > 0) throw new Error(`${c.name}: ${r.problems.map(formatProblem).join("; ")}`);
  return r;
}

/** A small seeded generator (mulberry32) with Box-Muller normals. */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Builds the case's model and overwrites every parameter with seeded random values (see above). */
export function randomModel(r: ResolvedConfig, seed = 7): GptNeoXModel {
  const model = GptNeoXModel.fromConfig(r);
  const normal = normals(seed);
  for (const e of model.registry.entries()) {
    const v = new Float32Array(e.numel);
    const isNorm = /norm/.test(e.name);
    const isBias = e.name.endsWith(".bias");
    const fanIn = e.shape.length === 2 ? e.shape[1]! : 1;
    for (let i = 0; i < v.length; i++) {
      const n = normal();
      v[i] = isBias
        ? 0.2 * n
        : isNorm
          ? 1 + 0.3 * n
          : e.name.startsWith("word_embeddings")
            ? n
            : n / Math.sqrt(fanIn);
    }
    e.param.t.write(v);
  }
  return model;
}

/** Writes the model as a trainer checkpoint under `save` (global_step1); returns `save`. */
export function writeCheckpoint(save: string, model: GptNeoXModel, r: ResolvedConfig, yaml: string): string {
  const dir = join(save, "global_step1");
  mkdirSync(join(dir, "configs"), { recursive: true });
  const tensors: Record<string, SafetensorsInput> = {};
  for (const [name, data] of model.registry.toHost()) {
    const shape = [...model.registry.entries()].find((e) => e.name === name)!.shape;
    tensors[name] = { dtype: "f32", shape, data };
  }
  writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "neox-ts-checkpoint", iteration: "1" });
  writeFileSync(join(dir, "config.json"), `${JSON.stringify(r.values, null, 1)}\n`);
  writeFileSync(join(dir, "configs", "model.yml"), `${BASE}${yaml}`);
  writeFileSync(join(save, "latest"), "global_step1\n");
  return save;
}
