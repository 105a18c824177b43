// What the GPU machine's training check trains: a tiny GPT-NeoX config written in GPT-NeoX keys and
// resolved in memory (as `neox train` would resolve the same YAML), and an in-memory token stream
// with something to learn, so the loss falls and "it trains" is visible in 50 steps.
import {
  formatProblem,
  parseConfigText,
  type ResolvedConfig,
  resolveParsed,
  withVocabSize,
} from "../../packages/config/src/index";
import type { SampleSource } from "../../packages/data-mmap/src/index";

/** Token ids in use; make_vocab_size_divisible_by 128 pads the embedding to 512 rows. */
export const VOCAB = 500;
export const SEQ = 64;
export const MICRO_BATCH = 4;

/** 2 layers, width 64, 4 heads, Pythia's layout (parallel residual, rotary on a quarter, untied). */
const MODEL = {
  num_layers: 2,
  hidden_size: 64,
  num_attention_heads: 4,
  seq_length: SEQ,
  max_position_embeddings: SEQ,
  pos_emb: "rotary",
  rotary_pct: 0.25,
  gpt_j_residual: true,
  no_weight_tying: true,
  norm: "layernorm",
  bias_gelu_fusion: true,
  hidden_dropout: 0.0,
  attention_dropout: 0.0,
  make_vocab_size_divisible_by: 128,
} as const;

export type Precision = "fp32" | "bf16";

/**
 * The resolved config of one run of `iters` iterations. `extra` lays keys over it (save, load,
 * exit_interval for the resume check). Throws naming every problem found.
 */
export function tinyConfig(
  precision: Precision,
  iters: number,
  extra: Record<string, unknown> = {},
): ResolvedConfig {
  const training = {
    train_micro_batch_size_per_gpu: MICRO_BATCH,
    gradient_accumulation_steps: 1,
    train_iters: iters,
    lr_decay_iters: iters,
    lr_decay_style: "cosine",
    warmup: 0.1,
    min_lr: 1e-4,
    optimizer: { type: "Adam", params: { lr: 3e-3, betas: [0.9, 0.95], eps: 1e-8 } },
    weight_decay: 0.1,
    gradient_clipping: 1.0,
    log_interval: 1,
    eval_interval: iters + 1,
    eval_iters: 0,
    checkpoint_activations: false,
    precision: precision === "bf16" ? "bfloat16" : "fp32",
    fp16: { enabled: false },
    bf16: { enabled: precision === "bf16" },
    zero_optimization: { stage: 0 },
    seed: 1234,
    ...extra,
  };
  const files = [
    parseConfigText(JSON.stringify(MODEL), "tools/gpu/tiny-model.yml"),
    parseConfigText(JSON.stringify(training), `tools/gpu/tiny-${precision}.yml`),
  ];
  const r = resolveParsed(files, { vocabSize: VOCAB });
  const problems = r.problems.filter((p) => p.kind !== "incomplete");
  if (problems.length > 0)
    throw new Error(`tools/gpu tiny config (${precision}): ${problems.map(formatProblem).join("; ")}`);
  return withVocabSize(r, VOCAB);
}

/**
 * `length` samples of SEQ + 1 tokens, laid end to end. Each next token is (7·prev + 3) mod VOCAB
 * nine times in ten and a seeded random id otherwise, so a model that learns the rule drops from
 * ln(500) ≈ 6.2 towards the noise floor within a few dozen steps.
 */
export class PatternTokens implements SampleSource {
  readonly seqLength = SEQ;
  readonly data: Int32Array;

  constructor(
    readonly length: number,
    seed = 7,
  ) {
    this.data = new Int32Array(length * (SEQ + 1));
    let s = seed >>> 0;
    const next = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0; // Numerical Recipes' LCG
      return s / 4294967296;
    };
    let prev = 0;
    for (let i = 0; i < this.data.length; i++) {
      prev = next() < 0.9 ? (7 * prev + 3) % VOCAB : Math.floor(next() * VOCAB);
      this.data[i] = prev;
    }
  }

  getItem(i: number, out = new Int32Array(SEQ + 1)): Int32Array {
    if (i < 0 || i >= this.length) throw new RangeError(`PatternTokens: sample ${i} of ${this.length}`);
    out.set(this.data.subarray(i * (SEQ + 1), (i + 1) * (SEQ + 1)));
    return out;
  }
}
