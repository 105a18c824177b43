// Value ranges, one line per key. A key set to a value outside its range is a `range` problem.

type Check = (v: number) => boolean;
const pos: [Check, string] = [(v) => v >= 1, "≥ 1"];
const nonneg: [Check, string] = [(v) => v >= 0, "≥ 0"];
const positive: [Check, string] = [(v) => v > 0, "> 0"];
const prob: [Check, string] = [(v) => v >= 0 && v < 1, "in [0, 1)"];
const unit: [Check, string] = [(v) => v >= 0 && v <= 1, "in [0, 1]"];
const unitOpen: [Check, string] = [(v) => v > 0 && v <= 1, "in (0, 1]"];

export const RANGES: Readonly<Record<string, [Check, string]>> = {
  num_layers: pos,
  hidden_size: pos,
  num_attention_heads: pos,
  num_kv_heads: pos,
  seq_length: pos,
  max_position_embeddings: pos,
  intermediate_size: pos,
  expansion_factor: positive,
  mlp_multiple_of: pos,
  sliding_window_width: pos,
  make_vocab_size_divisible_by: pos,
  model_parallel_size: pos,
  pipe_parallel_size: nonneg,
  train_iters: nonneg,
  train_epochs: pos,
  train_batch_size: pos,
  train_micro_batch_size_per_gpu: pos,
  gradient_accumulation_steps: pos,
  eval_interval: pos,
  eval_iters: nonneg,
  log_interval: pos,
  checkpoint_factor: positive,
  keep_last_n_checkpoints: pos,
  checkpoint_num_layers: pos,
  num_workers: nonneg,
  hidden_dropout: prob,
  attention_dropout: prob,
  warmup: unit,
  rotary_pct: unitOpen,
  rotary_emb_base: positive,
  lr_decay_fraction: unitOpen,
  lr_decay_iters: nonneg,
  min_lr: nonneg,
  weight_decay: nonneg,
  gradient_clipping: nonneg,
  init_method_std: positive,
  layernorm_epsilon: positive,
  rms_norm_epsilon: positive,
  scalenorm_epsilon: positive,
  temperature: nonneg,
  top_p: unit,
  top_k: nonneg,
  maximum_tokens: pos,
  num_samples: nonneg,
  z_loss: nonneg,
  seed: nonneg,
  hysteresis: nonneg,
  loss_scale_window: positive,
  min_scale: positive,
  moe_num_experts: pos,
  moe_top_k: pos,
};

/** Returns the expected range when `value` is a number outside `key`'s range. */
export function outOfRange(key: string, value: unknown): string | undefined {
  const r = RANGES[key];
  if (!r || typeof value !== "number" || Number.isNaN(value)) return undefined;
  return r[0](value) ? undefined : r[1];
}

/** GPT-NeoX's split string: up to three comma-separated non-negative weights, not all zero. */
export function splitProblem(split: unknown): string | undefined {
  if (typeof split !== "string") return undefined;
  const parts = split.includes(",") ? split.split(",") : split.split("/");
  const nums = parts.map((p) => Number(p.trim()));
  if (parts.length > 3 || nums.some((n) => !Number.isFinite(n) || n < 0) || nums.every((n) => n === 0)) {
    return `expected up to three comma-separated non-negative weights such as "969, 30, 1", got "${split}"`;
  }
  return undefined;
}
