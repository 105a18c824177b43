// Tiny models of each architecture for the ONNX tests: configs resolved through @neox/config as a
// user's YAML would be, built with their initial weights, then every norm scale, bias and offset
// moved off its constant start (1 or 0) so a graph that dropped or swapped one would show it, and
// the weights scaled up so that greedy decoding wanders instead of repeating one token.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatProblem, parseConfigText, type ResolvedConfig, resolveParsed } from "@neox/config";
import { GptNeoXModel } from "@neox/models";
import { Tensor } from "@neox/tensor";

const BASE = `
num_layers: 2
hidden_size: 32
num_attention_heads: 4
seq_length: 24
max_position_embeddings: 24
make_vocab_size_divisible_by: 8
hidden_dropout: 0.0
attention_dropout: 0.0
train_micro_batch_size_per_gpu: 2
`;

/** Name -> config lines over BASE: Pythia, GPT-3 style, Llama (GQA), Mistral (GQA + window), Llama MHA. */
export const ARCHS: Record<string, string> = {
  // Pythia: partial rotary, parallel residual with two norms, untied head, exact GELU.
  pythia: "pos_emb: rotary\nrotary_pct: 0.25\ngpt_j_residual: true\nno_weight_tying: true\n",
  // GPT-3 style: learned positions, sequential residual, tied head, tanh GELU.
  gpt3: "pos_emb: learned\ngpt_j_residual: false\nno_weight_tying: false\nbias_gelu_fusion: true\n",
  // GPT-J tied parallel block (one norm feeds both branches), full rotary.
  gptj: "pos_emb: rotary\nrotary_pct: 1.0\ngpt_j_residual: true\ngpt_j_tied: true\nno_weight_tying: true\n",
  llama: `pos_emb: rotary
norm: rmsnorm
rms_norm_epsilon: 1.0e-5
activation: swiglu
intermediate_size: 64
mlp_multiple_of: 8
num_kv_heads: 2
use_bias_in_norms: false
use_bias_in_attn_linear: false
use_bias_in_mlp: false
no_weight_tying: true
`,
  mistral: `pos_emb: rotary
norm: rmsnorm
rms_norm_epsilon: 1.0e-5
activation: swiglu
intermediate_size: 64
mlp_multiple_of: 8
num_kv_heads: 2
sliding_window_width: 4
use_bias_in_norms: false
use_bias_in_attn_linear: false
use_bias_in_mlp: false
no_weight_tying: true
`,
  // MHA with GPT-NeoX's RMSNorm offset (use_bias_in_norms) and biases.
  llama_mha:
    "pos_emb: rotary\nnorm: rmsnorm\nrms_norm_epsilon: 1.0e-6\nactivation: swiglu\nintermediate_size: 64\nmlp_multiple_of: 8\nno_weight_tying: true\n",
};

export const VOCAB = 50;

/** An architecture's config over BASE (and `extra` over both), resolved with the tiny vocabulary. */
export function tinyConfig(arch: string, extra = ""): ResolvedConfig {
  const layers = [parseConfigText(BASE, "base.yml"), parseConfigText(ARCHS[arch]!, `${arch}.yml`)];
  if (extra !== "") layers.push(parseConfigText(extra, "extra.yml"));
  const r = resolveParsed(layers, { vocabSize: VOCAB });
  if (r.problems.length > 0) throw new Error(`${arch}: ${r.problems.map(formatProblem).join("; ")}`);
  return r;
}

export function tinyModel(arch: string, extra = ""): GptNeoXModel {
  const model = GptNeoXModel.fromConfig(tinyConfig(arch, extra), { seed: 7 });
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  for (const e of model.registry.entries()) {
    const v = e.param.t.toFloat32Array();
    // Weights grow 4x (initial weights are small enough that greedy decoding soon repeats one
    // token, which would hide a wrong cache); norms and biases move off their constants.
    if (e.decay) for (let i = 0; i < v.length; i++) v[i] = 4 * v[i]!;
    else for (let i = 0; i < v.length; i++) v[i] = v[i]! + 0.4 * rand();
    e.param.t.write(v);
  }
  model.dropout.training = false;
  return model;
}

/** Deterministic token ids in [0, VOCAB). */
export function tokenIds(n: number, salt = 0): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7 + salt * 13 + ((i * i) % 5)) % VOCAB);
}

/** The model's logits (B·T, V) for rows of tokens. */
export function nativeLogits(model: GptNeoXModel, rows: number[][]): Float32Array {
  const B = rows.length;
  const T = rows[0]!.length;
  const t = Tensor.fromArray(Int32Array.from(rows.flat()), [B, T], { dtype: "i32" });
  const out = model.forward(t);
  const host = out.toFloat32Array();
  out.dispose();
  t.dispose();
  return host;
}

const made: string[] = [];

/** A fresh temporary directory; removeTempDirs (each test file's afterAll) removes them. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "neox-onnx-"));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
