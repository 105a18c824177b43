// Values GPT-NeoX computes from the config (calculate_derived, neox-spec §3.2), as a pure function
// of the resolved values, the world size and the tokenizer's vocabulary size. No I/O, no probing.
import { expandAttention } from "./attention-pattern";
import { isPlainObject } from "./load/merge";
import { type Problem, preview } from "./problems";
import { sizeProblems } from "./validate/products";
import { BOUNDS } from "./validate/ranges";

export { expandAttention };

export type Precision = "fp16" | "bfloat16" | "fp32";

export interface Derived {
  /** Processes in the job; `world_size_source` says how it was chosen. */
  world_size: number;
  world_size_source: "given" | "num_gpus" | "smallest";
  global_num_gpus: number;
  pipe_parallel_size: number;
  model_parallel_size: number;
  data_parallel_size: number;
  is_pipe_parallel: boolean;
  train_batch_size: number | null;
  train_micro_batch_size_per_gpu: number | null;
  gradient_accumulation_steps: number | null;
  batch_size: number | null;
  clip_grad: number;
  padded_vocab_size: number | null;
  precision: Precision;
  fp16: Record<string, unknown> | null;
  bf16: Record<string, unknown> | null;
  zero_optimization: Record<string, unknown>;
  zero_stage: unknown;
  zero_reduce_scatter: unknown;
  zero_contiguous_gradients: unknown;
  zero_reduce_bucket_size: unknown;
  zero_allgather_bucket_size: unknown;
  optimizer: Record<string, unknown>;
  optimizer_type: string;
  lr: number;
  dynamic_loss_scale: boolean;
  /** The attention type of each layer (GPT-NeoX expands `attention_config` to this list). */
  attention_config: string[] | null;
  sparsity_config: Record<string, unknown>;
  text_gen_type: string;
  head_size: number | null;
  num_kv_heads: number | null;
  /** Channels of each head that rotary embedding rotates: int(head_size × rotary_pct). */
  rotary_dim: number | null;
  gated_mlp: boolean;
  /** Output width of the first MLP linear and input width of the second (neox-spec §1.1). */
  mlp_linear1_out_features: number | null;
  mlp_linear2_in_features: number | null;
  /** lr_decay_iters as the scheduler resolves it (lr_decay_fraction, else the key, else train_iters). */
  lr_decay_iters: number | null;
  /** AnnealingLR's warmup_iter = warmup × lr_decay_iters. */
  warmup_iters: number | null;
  train_data_weights: number[] | null;
  valid_data_weights: number[] | null;
  test_data_weights: number[] | null;
}

export interface DeriveOptions {
  /** Processes in the job; default num_gpus × num_nodes when set, else the smallest that fits. */
  worldSize?: number;
  /** The tokenizer's vocabulary size; null when unknown (padded_vocab_size is then null). */
  vocabSize?: number | null;
}

export const ZERO_DEFAULTS: Readonly<Record<string, unknown>> = {
  stage: 0,
  allgather_partitions: true,
  reduce_scatter: true,
  allgather_bucket_size: 500_000_000,
  overlap_comm: false,
  reduce_bucket_size: 500_000_000,
  contiguous_gradients: false,
};
export const OPT_DEFAULT = {
  type: "Adam",
  params: {
    lr: 0.001,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 0,
    freeze_step: 400,
    momentum: 0,
    cuda_aware: false,
  },
};
const GATED = new Set(["geglu", "reglu", "swiglu", "glu", "bilinear"]);

/** A finite number, else null: NaN and ±Infinity (YAML's .nan, .inf) count as unset here. */
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * A whole number in [lo, hi], else null. Sizes outside their bounds are `range` problems reported by
 * validation; derive skips them rather than allocate, loop or multiply on an absurd value.
 */
const size = (v: unknown, lo: number, hi: number): number | null =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= lo && v <= hi ? v : null;

/** Derives every computed value. Problems are derivation failures (kind world_size/combination). */
export function derive(
  values: Readonly<Record<string, unknown>>,
  opts: DeriveOptions = {},
): {
  derived: Derived;
  problems: Problem[];
} {
  const problems: Problem[] = [];
  const pp = Math.max(size(values.pipe_parallel_size, 0, BOUNDS.world) ?? 0, 1);
  const mp = size(values.model_parallel_size, 1, BOUNDS.world) ?? 1;
  const numGpus = size(values.num_gpus, 1, BOUNDS.world);
  const numNodes = size(values.num_nodes, 1, BOUNDS.world);
  let world: number;
  let worldSource: Derived["world_size_source"];
  if (opts.worldSize !== undefined) {
    world = opts.worldSize;
    worldSource = "given";
  } else if (numGpus !== null && numGpus > 0) {
    world = numGpus * (numNodes !== null && numNodes > 0 ? numNodes : 1);
    worldSource = "num_gpus";
  } else {
    world = pp * mp;
    worldSource = "smallest";
  }
  if (!(Number.isSafeInteger(world) && world >= 1 && world <= BOUNDS.world)) {
    problems.push({
      kind: "world_size",
      key:
        worldSource === "given"
          ? "world_size"
          : worldSource === "num_gpus"
            ? "num_gpus"
            : "model_parallel_size",
      message: `a world size of ${preview(world)} processes is out of range (expected a whole number in [1, ${BOUNDS.world.toLocaleString("en-US")}]: the largest clusters have ~10^5 accelerators)`,
    });
    world = pp * mp <= BOUNDS.world ? pp * mp : 1;
  }
  let dp = world / pp / mp;
  if (!Number.isInteger(dp) || dp < 1) {
    problems.push({
      kind: "world_size",
      key: "model_parallel_size",
      message: `(world_size / pipe_parallel_size) / model_parallel_size = (${world} / ${pp}) / ${mp} must be a whole number ≥ 1`,
    });
    dp = Math.max(1, Math.floor(dp));
  }

  const batch = batchTriple(
    dp,
    num(values.train_batch_size),
    num(values.train_micro_batch_size_per_gpu),
    num(values.gradient_accumulation_steps),
  );
  if (batch.problem) problems.push(batch.problem);

  const precision = derivePrecision(values, problems);
  const zero = isPlainObject(values.zero_optimization) ? values.zero_optimization : { ...ZERO_DEFAULTS };
  const optimizer = isPlainObject(values.optimizer) ? values.optimizer : structuredClone(OPT_DEFAULT);
  const optParams = isPlainObject(optimizer.params) ? optimizer.params : {};
  const layers = size(values.num_layers, 1, BOUNDS.layers);
  const attention = expandAttention(values.attention_config, layers, problems);

  const hidden = size(values.hidden_size, 1, BOUNDS.hidden);
  const heads = size(values.num_attention_heads, 1, BOUNDS.heads);
  const headSize = hidden !== null && heads ? hidden / heads : null;
  const kv = num(values.num_kv_heads) ?? heads;
  const rotaryPct = num(values.rotary_pct) ?? 1;
  const mlp = mlpWidths(values, hidden);
  const trainIters = num(values.train_iters);
  const decayFraction = num(values.lr_decay_fraction);
  const decayIters =
    decayFraction !== null && trainIters !== null
      ? Math.floor(trainIters * decayFraction)
      : (num(values.lr_decay_iters) ?? trainIters);
  const warmup = num(values.warmup) ?? 0.01;

  const pathsWeights = (p: string, w: string): number[] | null => {
    const paths = values[p];
    const weights = values[w];
    if (Array.isArray(weights)) return weights as number[];
    return Array.isArray(paths) ? paths.map(() => 1.0) : null;
  };

  const derived: Derived = {
    world_size: world,
    world_size_source: worldSource,
    global_num_gpus: world,
    pipe_parallel_size: num(values.pipe_parallel_size) ?? 0,
    model_parallel_size: mp,
    data_parallel_size: dp,
    is_pipe_parallel: (num(values.pipe_parallel_size) ?? 0) >= 1,
    train_batch_size: batch.t,
    train_micro_batch_size_per_gpu: batch.m,
    gradient_accumulation_steps: batch.g,
    batch_size: batch.m,
    clip_grad: num(values.gradient_clipping) ?? 1.0,
    padded_vocab_size: paddedVocab(
      opts.vocabSize ?? null,
      size(values.make_vocab_size_divisible_by, 1, 2 ** 16) ?? 128,
      mp,
    ),
    precision,
    fp16: precisionDict(values.fp16, precision === "fp16", { type: "fp16", enabled: true }),
    bf16: precisionDict(values.bf16, precision === "bfloat16", { enabled: true }),
    zero_optimization: zero,
    zero_stage: zero.stage ?? ZERO_DEFAULTS.stage,
    zero_reduce_scatter: zero.reduce_scatter ?? ZERO_DEFAULTS.reduce_scatter,
    zero_contiguous_gradients: zero.contiguous_gradients ?? ZERO_DEFAULTS.contiguous_gradients,
    zero_reduce_bucket_size: zero.reduce_bucket_size ?? ZERO_DEFAULTS.reduce_bucket_size,
    zero_allgather_bucket_size: zero.allgather_bucket_size ?? ZERO_DEFAULTS.allgather_bucket_size,
    optimizer,
    optimizer_type: typeof optimizer.type === "string" ? optimizer.type : OPT_DEFAULT.type,
    lr: num(optParams.lr) ?? OPT_DEFAULT.params.lr,
    dynamic_loss_scale: values.loss_scale === null || values.loss_scale === undefined,
    attention_config: attention,
    sparsity_config: isPlainObject(values.sparsity_config) ? values.sparsity_config : {},
    text_gen_type:
      typeof values.text_gen_type === "string"
        ? values.text_gen_type
        : values.sample_input_file
          ? "input-file"
          : "unconditional",
    head_size: headSize,
    num_kv_heads: kv,
    rotary_dim: headSize !== null && Number.isInteger(headSize) ? Math.trunc(headSize * rotaryPct) : null,
    gated_mlp: mlp.gated,
    mlp_linear1_out_features: mlp.linear1Out,
    mlp_linear2_in_features: mlp.linear2In,
    lr_decay_iters: decayIters,
    warmup_iters: decayIters !== null ? warmup * decayIters : null,
    train_data_weights: pathsWeights("train_data_paths", "train_data_weights"),
    valid_data_weights: pathsWeights("valid_data_paths", "valid_data_weights"),
    test_data_weights: pathsWeights("test_data_paths", "test_data_weights"),
  };
  problems.push(...sizeProblems(values, derived));
  return { derived, problems };
}

/** GPT-NeoX's calculate_batch_parameters + check_batch_parameters (T, M, G; dp ranks). */
export function batchTriple(
  dp: number,
  t: number | null,
  m: number | null,
  g: number | null,
): { t: number | null; m: number | null; g: number | null; problem?: Problem } {
  let T = t;
  let M = m;
  let G = g;
  if (T !== null && M !== null && G !== null) {
    // all given: used as is, then checked
  } else if (T !== null && M !== null) G = Math.floor(Math.floor(T / M) / dp);
  else if (T !== null && G !== null) M = Math.floor(Math.floor(T / dp) / G);
  else if (M !== null && G !== null) T = M * G * dp;
  else if (T !== null) [G, M] = [1, Math.floor(T / dp)];
  else if (M !== null) [T, G] = [M * dp, 1];
  else {
    return {
      t: null,
      m: null,
      g: null,
      problem: {
        kind: "incomplete",
        key: "train_batch_size",
        message: "either train_batch_size or train_micro_batch_size_per_gpu must be set",
      },
    };
  }
  if (!(T! > 0 && M! > 0 && G! > 0) || T !== M! * G! * dp) {
    return {
      t: T,
      m: M,
      g: G,
      problem: {
        kind: "combination",
        key: "train_batch_size",
        message: `train_batch_size (${T}) must equal train_micro_batch_size_per_gpu (${M}) × gradient_accumulation_steps (${G}) × data-parallel size (${dp}), all > 0`,
      },
    };
  }
  return { t: T, m: M, g: G };
}

/** Vocabulary padded to a multiple of make_vocab_size_divisible_by × model_parallel_size. */
export function paddedVocab(vocab: number | null, divisibleBy: number, mp: number): number | null {
  if (vocab === null) return null;
  const multiple = divisibleBy * mp;
  return Math.ceil(vocab / multiple) * multiple;
}

/** MLP widths by GPT-NeoX's formula (neox-spec §1.1). */
export function mlpWidths(
  values: Readonly<Record<string, unknown>>,
  hidden: number | null,
): { gated: boolean; linear1Out: number | null; linear2In: number | null } {
  const gated = GATED.has(String(values.activation ?? "gelu").toLowerCase());
  if (hidden === null) return { gated, linear1Out: null, linear2In: null };
  const m = size(values.mlp_multiple_of, 1, BOUNDS.ffn) ?? 1;
  const expansion = num(values.expansion_factor);
  let ffn =
    num(values.intermediate_size) ?? (expansion !== null ? Math.trunc(expansion * hidden) : 4 * hidden);
  let ffnIn = ffn;
  if (gated) {
    ffn = Math.trunc((ffn * 2) / 3);
    ffnIn = Math.floor(ffn / 2);
  }
  return { gated, linear1Out: 2 * m * Math.ceil(ffn / (2 * m)), linear2In: m * Math.ceil(ffnIn / m) };
}

function derivePrecision(values: Readonly<Record<string, unknown>>, problems: Problem[]): Precision {
  const given = typeof values.precision === "string" ? values.precision.toLowerCase() : null;
  const enabled = (d: unknown) => isPlainObject(d) && d.enabled === true;
  if (enabled(values.fp16) && given !== null && given !== "fp16") {
    problems.push({
      kind: "combination",
      key: "precision",
      message: `fp16.enabled is true but precision is "${given}"`,
    });
  }
  if (enabled(values.bf16) && given !== null && given !== "bfloat16") {
    problems.push({
      kind: "combination",
      key: "precision",
      message: `bf16.enabled is true but precision is "${given}"`,
    });
  }
  if (given === "fp16" || given === "bfloat16" || given === "fp32") return given;
  if (enabled(values.fp16)) return "fp16";
  if (enabled(values.bf16)) return "bfloat16";
  return "fp32";
}

function precisionDict(
  given: unknown,
  active: boolean,
  fallback: Record<string, unknown>,
): Record<string, unknown> | null {
  if (!active) return isPlainObject(given) ? given : null;
  return isPlainObject(given) && Object.keys(given).length > 0
    ? { ...given, enabled: true }
    : { ...fallback };
}
