// Value ranges, one line per key (dotted paths for values inside DeepSpeed dicts). A key set to a
// value outside its range is a `range` problem. Sizes and counts have upper bounds: each sits two
// or more orders of magnitude above the largest model or run built so far, and low enough that the
// products derived from them (parameters, tokens per step, samples per run) stay exact in a double
// (below 2^53) and name memory that could exist. Every config GPT-NeoX ships is far inside them.

export interface Range {
  /** True when the value is in range; values of another type are the type check's business. */
  ok: (v: unknown) => boolean;
  /** What was expected, and for upper bounds why the bound is where it is. */
  expected: string;
}

const fmt = (n: number) =>
  Number.isInteger(n) && Math.abs(n) >= 10_000 ? n.toLocaleString("en-US") : String(n);

const numeric =
  (check: (v: number) => boolean) =>
  (v: unknown): boolean =>
    typeof v !== "number" || check(v);

/** lo ≤ v ≤ hi, with the reason for the upper bound. */
const within = (lo: number, hi: number, why: string): Range => ({
  ok: numeric((v) => v >= lo && v <= hi),
  expected: `in [${fmt(lo)}, ${fmt(hi)}]: ${why}`,
});

const nonneg: Range = { ok: numeric((v) => v >= 0), expected: "≥ 0" };
const positive: Range = { ok: numeric((v) => v > 0), expected: "> 0" };
const prob: Range = { ok: numeric((v) => v >= 0 && v < 1), expected: "in [0, 1)" };
const unit: Range = { ok: numeric((v) => v >= 0 && v <= 1), expected: "in [0, 1]" };
const unitOpen: Range = { ok: numeric((v) => v > 0 && v <= 1), expected: "in (0, 1]" };

/** Upper bounds for sizes and counts, with the reason each sits where it does. */
export const BOUNDS = {
  /** The deepest dense models trained have about 100-200 layers. */
  layers: 2 ** 14,
  /** The widest models have hidden_size ~25,600; 2^20 squared is 2^40 weights (2 TiB in bf16) per matrix. */
  hidden: 2 ** 20,
  heads: 2 ** 16,
  /** 16M tokens; the longest contexts trained are ~10M. */
  seq: 2 ** 24,
  /** The widest MLPs are ~75,000. */
  ffn: 2 ** 22,
  /** 1M processes; the largest clusters have ~10^5 accelerators. */
  world: 2 ** 20,
  /** Sequences per step; large runs use a few thousand. */
  batch: 2 ** 24,
  /** 4.3 billion steps; long runs take ~10^6. */
  iters: 2 ** 32,
  /** Elements in one communication bucket: 2^40 is 2 TiB in bf16. */
  bucket: 2 ** 40,
  /** The largest vocabularies have ~256,000 tokens. */
  vocab: 2 ** 24,
} as const;

const LAYERS = within(1, BOUNDS.layers, "the deepest models trained have ~100-200 layers");
const HIDDEN = within(1, BOUNDS.hidden, "the widest models use ~25,600; a square weight would be 2 TiB");
const HEADS = within(1, BOUNDS.heads, "models use at most a few hundred heads");
const SEQ = within(1, BOUNDS.seq, "the longest contexts trained are ~10M tokens");
const FFN = within(1, BOUNDS.ffn, "the widest MLPs are ~75,000");
const WORLD = within(1, BOUNDS.world, "the largest clusters have ~10^5 accelerators");
const BATCH = within(1, BOUNDS.batch, "large runs use a few thousand sequences per step");
const ITERS = within(0, BOUNDS.iters, "long runs take ~10^6 steps");
const ITERS1 = within(1, BOUNDS.iters, "long runs take ~10^6 steps");
const BUCKET = within(1, BOUNDS.bucket, "a bucket of 2^40 elements is 2 TiB in bf16");
const VOCAB = within(1, BOUNDS.vocab, "the largest vocabularies have ~256,000 tokens");
// DeepSpeed keeps the loss scale 2^power in fp32, whose largest finite power is 127.
const SCALE_POWER = within(0, 127, "the loss scale 2^power must be a finite fp32");

const precisionRanges = (d: string): Record<string, Range> => ({
  [`${d}.loss_scale`]: nonneg,
  [`${d}.initial_scale_power`]: SCALE_POWER,
  [`${d}.loss_scale_window`]: ITERS1,
  [`${d}.hysteresis`]: ITERS,
  [`${d}.min_loss_scale`]: positive,
});

export const RANGES: Readonly<Record<string, Range>> = {
  num_layers: LAYERS,
  num_unique_layers: LAYERS,
  checkpoint_num_layers: LAYERS,
  hidden_size: HIDDEN,
  num_attention_heads: HEADS,
  num_kv_heads: HEADS,
  seq_length: SEQ,
  max_position_embeddings: SEQ,
  sliding_window_width: SEQ,
  curriculum_seqlen: within(0, BOUNDS.seq, "the longest contexts trained are ~10M tokens"),
  rpe_num_buckets: SEQ,
  rpe_max_distance: SEQ,
  opt_pos_emb_offset: within(0, BOUNDS.seq, "an offset into the position table"),
  maximum_tokens: SEQ,
  intermediate_size: FFN,
  mlp_multiple_of: FFN,
  expansion_factor: { ok: numeric((v) => v > 0 && v <= 256), expected: "in (0, 256]: MLPs are 2-8× wide" },
  make_vocab_size_divisible_by: within(1, 2 ** 16, "padding multiples are 64-128 in practice"),
  padded_vocab_size: VOCAB,
  top_k: within(0, BOUNDS.vocab, "k counts vocabulary entries"),
  model_parallel_size: WORLD,
  pipe_parallel_size: within(0, BOUNDS.world, "the largest clusters have ~10^5 accelerators"),
  num_gpus: WORLD,
  world_size: WORLD,
  global_num_gpus: WORLD,
  num_nodes: {
    ok: numeric((v) => v === -1 || (v >= 1 && v <= BOUNDS.world)),
    expected: `-1 (all hosts) or in [1, ${fmt(BOUNDS.world)}]`,
  },
  rank: within(0, BOUNDS.world - 1, "ranks count processes"),
  local_rank: within(0, BOUNDS.world - 1, "ranks count processes"),
  master_port: within(1, 65535, "TCP ports are 16-bit"),
  train_iters: ITERS,
  lr_decay_iters: ITERS,
  iteration: ITERS,
  train_epochs: within(1, 2 ** 20, "runs take a few epochs"),
  train_batch_size: BATCH,
  train_micro_batch_size_per_gpu: BATCH,
  batch_size: BATCH,
  gradient_accumulation_steps: BATCH,
  eval_interval: ITERS1,
  eval_iters: ITERS,
  log_interval: ITERS1,
  steps_per_print: ITERS1,
  exit_interval: ITERS1,
  checkpoint_factor: { ok: numeric((v) => v > 0 && v <= BOUNDS.iters), expected: "in (0, 2^32]" },
  keep_last_n_checkpoints: ITERS1,
  num_workers: within(0, 4096, "data-loader processes per rank; machines have at most a few hundred cores"),
  num_samples: ITERS,
  zero_reduce_bucket_size: BUCKET,
  zero_allgather_bucket_size: BUCKET,
  hidden_dropout: prob,
  attention_dropout: prob,
  warmup: unit,
  rotary_pct: unitOpen,
  rotary_emb_base: positive,
  lr_decay_fraction: unitOpen,
  min_lr: nonneg,
  lr: nonneg,
  weight_decay: nonneg,
  gradient_clipping: nonneg,
  init_method_std: positive,
  layernorm_epsilon: positive,
  rms_norm_epsilon: positive,
  scalenorm_epsilon: positive,
  temperature: nonneg,
  top_p: unit,
  z_loss: nonneg,
  // numpy's RandomState (GPT-NeoX's data order and initialisation) takes a 32-bit seed
  seed: within(0, 2 ** 32 - 1, "numpy seeds are 32-bit"),
  hysteresis: ITERS,
  loss_scale_window: positive,
  min_scale: positive,
  moe_num_experts: within(1, 2 ** 16, "mixtures use at most a few hundred experts"),
  moe_top_k: within(1, 2 ** 16, "tokens go to a few experts"),

  "optimizer.params.lr": nonneg,
  "optimizer.params.betas": {
    ok: (v) =>
      !Array.isArray(v) || (v.length === 2 && v.every((b) => typeof b === "number" && b >= 0 && b < 1)),
    expected: "two numbers in [0, 1), such as [0.9, 0.95]",
  },
  "optimizer.params.eps": nonneg,
  "optimizer.params.weight_decay": nonneg,
  "optimizer.params.momentum": unit,
  "optimizer.params.dampening": unit,
  "optimizer.params.beta": unit,
  "optimizer.params.max_grad_norm": nonneg,
  "optimizer.params.freeze_step": ITERS,
  "scheduler.params.warmup_num_steps": ITERS,
  "scheduler.params.total_num_steps": ITERS,
  ...precisionRanges("fp16"),
  ...precisionRanges("bf16"),
  "zero_optimization.allgather_bucket_size": BUCKET,
  "zero_optimization.reduce_bucket_size": BUCKET,
  "zero_optimization.sub_group_size": BUCKET,
  "flops_profiler.profile_step": ITERS1,
};

/** The expected range when `value` is outside `key`'s range (key: top-level or dotted path). */
export function outOfRange(key: string, value: unknown): string | undefined {
  const r = RANGES[key];
  if (!r || value === null || value === undefined || (typeof value === "number" && Number.isNaN(value)))
    return undefined;
  return r.ok(value) ? undefined : r.expected;
}

/** GPT-NeoX's split string: up to three comma-separated non-negative weights, not all zero. */
export function splitProblem(split: unknown): string | undefined {
  if (typeof split !== "string") return undefined;
  const parts = split.includes(",") ? split.split(",") : split.split("/");
  const nums = parts.map((p) => Number(p.trim()));
  if (parts.length > 3 || nums.some((n) => !Number.isFinite(n) || n < 0) || nums.every((n) => n === 0)) {
    return `expected up to three comma-separated non-negative weights such as "969, 30, 1", got ${JSON.stringify(split.length > 60 ? `${split.slice(0, 60)}…` : split)}`;
  }
  return undefined;
}
