// The keys inside GPT-NeoX's DeepSpeed dicts (`optimizer`, `zero_optimization`, `fp16`, ...), so
// each inner value is type-checked with its file:line and a misspelt inner key gets a "did you
// mean". Key names are DeepSpeed's (deepspeed/runtime/config.py, zero/config.py, the monitor and
// profiler configs) and the optimizer constructors' keyword arguments that GPT-NeoX passes
// `optimizer.params` to (training.py get_optimizer: apex FusedAdam, DeepSpeedCPUAdam, torch Adam
// and SGD, Lion, SM3, MADGRAD, OneBitAdam). Ranges of inner values are in validate/ranges.ts,
// keyed by dotted path (`optimizer.params.lr`).
import { t } from "../schema/types";

/** Optimizer types GPT-NeoX accepts (neox_args.py optimizer_type), matched case-insensitively. */
export const OPTIMIZER_TYPES = [
  "adam",
  "onebitadam",
  "cpu_adam",
  "cpu_torch_adam",
  "sm3",
  "madgrad_wd",
  "sgd",
  "lion",
] as const;

/** The union of the optimizers' keyword arguments: an unknown one is a TypeError in GPT-NeoX. */
const OPTIMIZER_PARAMS = t.struct({
  lr: t.float,
  betas: t.list(t.float),
  eps: t.float,
  weight_decay: t.float,
  momentum: t.float,
  dampening: t.float,
  nesterov: t.bool,
  amsgrad: t.bool,
  maximize: t.bool,
  foreach: t.opt(t.bool),
  capturable: t.bool,
  differentiable: t.bool,
  fused: t.opt(t.bool),
  bias_correction: t.bool,
  adam_w_mode: t.bool,
  adamw_mode: t.bool,
  set_grad_none: t.bool,
  fp32_optimizer_states: t.bool,
  max_grad_norm: t.float,
  beta: t.float, // SM3
  freeze_step: t.int, // OneBitAdam
  cuda_aware: t.bool,
  comm_backend_name: t.str,
});

export const OPTIMIZER_DICT = t.struct(
  { type: t.literal(...OPTIMIZER_TYPES), params: OPTIMIZER_PARAMS },
  // GPT-NeoX's validate_types: an optimizer dict has a str `type` and a dict `params`
  { required: ["type", "params"] },
);

/** DeepSpeed's LR schedulers' params (WarmupLR, WarmupDecayLR, WarmupCosineLR, OneCycle, LRRangeTest). */
export const SCHEDULER_DICT = t.struct(
  {
    type: t.str,
    params: t.struct({
      warmup_min_lr: t.float,
      warmup_max_lr: t.float,
      warmup_num_steps: t.int,
      warmup_type: t.literal("log", "linear"),
      total_num_steps: t.int,
      warmup_min_ratio: t.float,
      cos_min_ratio: t.float,
      last_batch_iteration: t.int,
      cycle_min_lr: t.float,
      cycle_max_lr: t.float,
      decay_lr_rate: t.float,
      cycle_first_step_size: t.int,
      cycle_second_step_size: t.int,
      cycle_first_stair_count: t.int,
      cycle_second_stair_count: t.int,
      decay_step_size: t.int,
      cycle_momentum: t.bool,
      cycle_min_mom: t.float,
      cycle_max_mom: t.float,
      decay_mom_rate: t.float,
      lr_range_test_min_lr: t.float,
      lr_range_test_step_size: t.int,
      lr_range_test_step_rate: t.float,
      lr_range_test_staircase: t.bool,
    }),
  },
  { required: ["type"] },
);

/**
 * `fp16` and `bf16`: DeepSpeed's loss-scaling keys, plus `type` and the legacy `fp16`/`bf16`
 * switches GPT-NeoX's own configs still carry (pythia/1B.yml, rwkv/170M.yml).
 */
export const PRECISION_DICT = t.struct({
  enabled: t.bool,
  type: t.str,
  fp16: t.bool,
  bf16: t.bool,
  auto_cast: t.bool,
  loss_scale: t.float,
  initial_scale_power: t.int,
  loss_scale_window: t.int,
  hysteresis: t.int,
  consecutive_hysteresis: t.bool,
  min_loss_scale: t.float,
  fp16_master_weights_and_grads: t.bool,
  immediate_grad_update: t.bool,
  check_grad_overflow: t.bool,
});

const OFFLOAD_DEVICE = t.literal("none", "cpu", "nvme");

export const ZERO_DICT = t.struct({
  stage: t.literal(0, 1, 2, 3),
  allgather_partitions: t.bool,
  allgather_bucket_size: t.int,
  overlap_comm: t.bool,
  reduce_scatter: t.bool,
  reduce_bucket_size: t.int,
  contiguous_gradients: t.bool,
  cpu_offload: t.bool,
  cpu_offload_params: t.bool,
  cpu_offload_use_pin_memory: t.bool,
  load_from_fp32_weights: t.bool,
  elastic_checkpoint: t.bool,
  offload_optimizer: t.struct({
    device: OFFLOAD_DEVICE,
    nvme_path: t.str,
    pin_memory: t.bool,
    buffer_count: t.int,
    fast_init: t.bool,
    ratio: t.float,
    pipeline_read: t.bool,
    pipeline_write: t.bool,
  }),
  offload_param: t.struct({
    device: OFFLOAD_DEVICE,
    nvme_path: t.str,
    pin_memory: t.bool,
    buffer_count: t.int,
    buffer_size: t.int,
    max_in_cpu: t.int,
  }),
  sub_group_size: t.int,
  stage3_max_live_parameters: t.int,
  stage3_max_reuse_distance: t.int,
  stage3_prefetch_bucket_size: t.int,
  stage3_param_persistence_threshold: t.int,
  stage3_model_persistence_threshold: t.int,
  stage3_gather_16bit_weights_on_model_save: t.bool,
  stage3_gather_fp16_weights_on_model_save: t.bool,
  round_robin_gradients: t.bool,
  ignore_unused_parameters: t.bool,
  legacy_stage1: t.bool,
  zero_hpz_partition_size: t.int,
  zero_quantized_weights: t.bool,
  zero_quantized_nontrainable_weights: t.bool,
  zero_quantized_gradients: t.bool,
  mics_shard_size: t.int,
  mics_hierarchical_params_gather: t.bool,
  memory_efficient_linear: t.bool,
  use_multi_rank_bucket_allreduce: t.bool,
  pipeline_loading_checkpoint: t.bool,
  override_module_apply: t.bool,
  log_trace_cache_warnings: t.bool,
});

/** A DeepSpeed feature switched by `enabled`, whose other keys DeepSpeed itself passes through. */
export const ENABLED_OPEN_DICT = t.struct({ enabled: t.bool }, { open: true });

export const AMP_DICT = t.struct({ enabled: t.bool, opt_level: t.str }, { open: true });

export const FLOPS_PROFILER_DICT = t.struct({
  enabled: t.bool,
  recompute_fwd_factor: t.float,
  profile_step: t.int,
  module_depth: t.int,
  top_modules: t.int,
  detailed: t.bool,
  output_file: t.opt(t.str),
});

export const MONITOR_DICT = t.struct({ enabled: t.bool, output_path: t.str, job_name: t.str });

export const WANDB_DICT = t.struct({ enabled: t.bool, group: t.str, team: t.str, project: t.str });

export const COMMS_LOGGER_DICT = t.struct({
  enabled: t.bool,
  verbose: t.bool,
  prof_all: t.bool,
  debug: t.bool,
  prof_ops: t.list(t.str),
});

export const ACTIVATION_CHECKPOINTING_DICT = t.struct({
  partition_activations: t.bool,
  contiguous_memory_optimization: t.bool,
  cpu_checkpointing: t.bool,
  number_checkpoints: t.opt(t.int),
  synchronize_checkpoint_boundary: t.bool,
  profile: t.bool,
});

export const DATA_TYPES_DICT = t.struct({ grad_accum_dtype: t.literal("fp32", "fp16", "bf16") });

export const CHECKPOINT_DICT = t.struct({
  tag_validation: t.literal("Ignore", "Warn", "Fail"),
  use_node_local_storage: t.bool,
  load_universal: t.bool,
  parallel_write: t.struct({ pipeline_stage: t.bool }),
});

export const CURRICULUM_DICT = t.struct({
  enabled: t.bool,
  curriculum_type: t.str,
  min_difficulty: t.int,
  max_difficulty: t.int,
  schedule_type: t.str,
  schedule_config: t.dict,
});

export const ELASTICITY_DICT = t.struct({
  enabled: t.bool,
  max_train_batch_size: t.int,
  micro_batch_sizes: t.list(t.int),
  min_gpus: t.int,
  max_gpus: t.int,
  min_time: t.int,
  version: t.float,
  ignore_non_elastic_batch_info: t.bool,
  prefer_larger_batch: t.bool,
  model_parallel_size: t.int,
  num_gpus_per_node: t.int,
});
