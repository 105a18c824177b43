// The shapes `pnpm bench:train` times, the goals the training issue sets for each, and the resolved
// config each one trains with. Every config is written in GPT-NeoX keys, so what is benchmarked is
// what `neox train` would run from the same YAML.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  formatProblem,
  type ParsedFile,
  parseConfigText,
  type ResolvedConfig,
  resolveParsed,
  withVocabSize,
} from "@neox/config";

export const ROOT = join(import.meta.dirname, "..", "..", "..");
/** GPT-NeoX-20B tokenizer's 50277 ids padded to a multiple of 128. */
export const VOCAB = 50304;
export const LR = 1e-4;
export const CLIP = 1.0;
/** Iterations before the timed ones: the first records the step's plan, the second is its first replay. */
export const WARMUP = 2;

export type Precision = "fp32" | "bf16";

/** ratio: tokens/s at least `value` × PyTorch's at the same precision; mfu: at least `value` % MFU. */
export interface Goal {
  kind: "ratio" | "mfu";
  value: number;
}

export interface BenchShape {
  name: string;
  layers: number;
  d: number;
  heads: number;
  seq: number;
  batch: number;
  /** The GELU the config selects: exact ("none") or tanh (bias_gelu_fusion), passed to PyTorch too. */
  gelu: "none" | "tanh";
  /** A GPT-NeoX config file the shape starts from (relative to the repository), else inline keys. */
  base: string | null;
  goals: Partial<Record<Precision, Goal>>;
}

export const SHAPES: readonly BenchShape[] = [
  {
    name: "4L-d256-s256",
    layers: 4,
    d: 256,
    heads: 4,
    seq: 256,
    batch: 8,
    gelu: "none",
    base: null,
    goals: { fp32: { kind: "ratio", value: 2 }, bf16: { kind: "ratio", value: 2 } },
  },
  {
    name: "6L-d128-s512",
    layers: 6,
    d: 128,
    heads: 4,
    seq: 512,
    batch: 4,
    gelu: "none",
    base: null,
    goals: { fp32: { kind: "ratio", value: 2 } },
  },
  {
    name: "6L-d128-s2048",
    layers: 6,
    d: 128,
    heads: 4,
    seq: 2048,
    batch: 4,
    gelu: "none",
    base: null,
    goals: { fp32: { kind: "ratio", value: 3 } },
  },
  {
    name: "pythia-70m",
    layers: 6,
    d: 512,
    heads: 8,
    seq: 512,
    batch: 4,
    gelu: "tanh",
    base: "configs/pythia/70M.yml",
    goals: { fp32: { kind: "mfu", value: 75 }, bf16: { kind: "ratio", value: 1.3 } },
  },
];

/** The architecture of the inline shapes: Pythia's layout (the one configs/pythia/*.yml use). */
function architecture(s: BenchShape): Record<string, unknown> {
  return {
    num_layers: s.layers,
    hidden_size: s.d,
    num_attention_heads: s.heads,
    max_position_embeddings: s.seq,
    pos_emb: "rotary",
    rotary_pct: 0.25,
    gpt_j_residual: true,
    no_weight_tying: true,
    norm: "layernorm",
    bias_gelu_fusion: s.gelu === "tanh",
    hidden_dropout: 0.0,
    attention_dropout: 0.0,
    make_vocab_size_divisible_by: 128,
  };
}

/**
 * The training keys every run shares: the listed micro-batch, no accumulation, AdamW (GPT-NeoX's
 * "Adam" is decoupled weight decay) at a constant lr, clipping, a log line every iteration, no
 * evaluation and no checkpoints. checkpoint_activations is off: PyTorch beside it keeps every
 * activation too, and MFU does not count recomputation.
 */
function training(s: BenchShape, precision: Precision, iters: number): Record<string, unknown> {
  return {
    seq_length: s.seq,
    train_micro_batch_size_per_gpu: s.batch,
    gradient_accumulation_steps: 1,
    train_iters: iters,
    lr_decay_iters: iters,
    lr_decay_style: "constant",
    warmup: 0.0,
    optimizer: { type: "Adam", params: { lr: LR, betas: [0.9, 0.95], eps: 1e-8 } },
    weight_decay: 0.1,
    gradient_clipping: CLIP,
    log_interval: 1,
    eval_interval: iters + 1,
    eval_iters: 0,
    checkpoint_activations: false,
    precision: precision === "bf16" ? "bfloat16" : "fp32",
    fp16: { enabled: false },
    bf16: { enabled: precision === "bf16" },
    zero_optimization: { stage: 0 },
    seed: 1234,
  };
}

/**
 * The resolved config of one run; throws naming the shape and every problem found. `extra`: keys
 * laid over the training keys (a data-parallel run's num_gpus and zero_optimization).
 */
export function benchConfig(
  s: BenchShape,
  precision: Precision,
  iters: number,
  extra: Record<string, unknown> = {},
): ResolvedConfig {
  const parsed: ParsedFile[] = [];
  if (s.base) {
    const path = join(ROOT, s.base);
    parsed.push(parseConfigText(readFileSync(path, "utf8"), path));
  } else parsed.push(parseConfigText(JSON.stringify(architecture(s)), `bench/${s.name}.yml`));
  parsed.push(parseConfigText(JSON.stringify(training(s, precision, iters)), `bench/${s.name}-train.yml`));
  if (Object.keys(extra).length > 0)
    parsed.push(parseConfigText(JSON.stringify(extra), `bench/${s.name}-extra.yml`));
  const r = withVocabSize(resolveParsed(parsed, { vocabSize: VOCAB }), VOCAB);
  const problems = r.problems.filter((p) => p.kind !== "incomplete");
  if (problems.length > 0)
    throw new Error(`bench config ${s.name} ${precision}: ${problems.map(formatProblem).join("; ")}`);
  const d = r.derived;
  const v = r.values;
  const want: [string, unknown, unknown][] = [
    ["padded_vocab_size", d.padded_vocab_size, VOCAB],
    ["train_batch_size", d.train_batch_size, s.batch * d.data_parallel_size],
    ["num_layers", v.num_layers, s.layers],
    ["hidden_size", v.hidden_size, s.d],
    ["num_attention_heads", v.num_attention_heads, s.heads],
  ];
  for (const [key, got, expected] of want)
    if (got !== expected)
      throw new Error(`bench config ${s.name} ${precision}: ${key} is ${got}, expected ${expected}`);
  return r;
}
