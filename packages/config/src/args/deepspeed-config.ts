// NeoXArgsDeepspeedConfig (GPT-NeoX megatron/neox_arguments/deepspeed_args.py): keys GPT-NeoX
// forwards into the DeepSpeed JSON config. Batch sizes, optimizer, precision dicts and ZeRO 0/1
// are honoured here; DeepSpeed's own monitors, profilers and engine internals are not.
// GPT-NeoX declares `autotuning` twice; it is declared once here.
import {
  type ArgDecl,
  type ArgType,
  arg as declare,
  noEffect,
  type Support,
  t,
  unsupported,
} from "../schema/types";
import {
  ACTIVATION_CHECKPOINTING_DICT,
  AMP_DICT,
  CHECKPOINT_DICT,
  COMMS_LOGGER_DICT,
  CURRICULUM_DICT,
  DATA_TYPES_DICT,
  ELASTICITY_DICT,
  ENABLED_OPEN_DICT,
  FLOPS_PROFILER_DICT,
  MONITOR_DICT,
  OPTIMIZER_DICT,
  PRECISION_DICT,
  SCHEDULER_DICT,
  WANDB_DICT,
  ZERO_DICT,
} from "./deepspeed-dicts";
import { unsupportedOptimizer } from "./optimizer";
import { isDict, isEnabledDict, isTrue } from "./support";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("deepspeed_config", name, type, def, doc, support);

const DS_ONLY = "a DeepSpeed engine internal with no counterpart here";

/** `zero_optimization` beyond stages 0-2: stage 3 or CPU/NVMe offload. */
function unsupportedZero(value: unknown): { describe: string; feature: string } | undefined {
  if (!isDict(value)) return undefined;
  const stage = value.stage;
  // other stages are a type error (Literal[0, 1, 2, 3]), not a feature to name
  if (stage === 3) {
    return { describe: "zero_optimization.stage: 3", feature: "ZeRO stage 3 (parameter partitioning)" };
  }
  for (const k of ["offload_optimizer", "offload_param"]) {
    const off = value[k];
    if (isDict(off) && typeof off.device === "string" && off.device.toLowerCase() !== "none") {
      return { describe: `zero_optimization.${k}.device: ${off.device}`, feature: "ZeRO-Offload" };
    }
  }
  if (value.cpu_offload === true)
    return { describe: "zero_optimization.cpu_offload: true", feature: "ZeRO-Offload" };
  return undefined;
}

/** A DeepSpeed feature dict that is unsupported when `enabled: true`. */
const whenEnabled = (key: string, feature: string): Support =>
  unsupported(feature, { when: isEnabledDict, describe: `${key}.enabled: true` });

export const DEEPSPEED_CONFIG_ARGS: readonly ArgDecl[] = [
  arg(
    "deepspeed",
    t.bool,
    true,
    "Run under DeepSpeed (GPT-NeoX requires true).",
    noEffect("this backend has its own engine; DeepSpeed is never loaded"),
  ),
  arg(
    "train_batch_size",
    t.int,
    null,
    "Global batch: micro-batch x gradient accumulation x data-parallel size.",
  ),
  arg("train_micro_batch_size_per_gpu", t.int, null, "Samples per process per forward/backward pass."),
  arg("gradient_accumulation_steps", t.int, 1, "Micro-batches accumulated per optimizer step."),
  arg(
    "optimizer",
    OPTIMIZER_DICT,
    null,
    "{type, params}: type adam/cpu_adam/cpu_torch_adam/sgd/lion, params lr, betas, eps, ...; default Adam lr 0.001.",
    unsupported("1-bit Adam, SM3 and MADGRAD", {
      explain: (v) => (isDict(v) ? unsupportedOptimizer("optimizer.type", v.type) : undefined),
    }),
  ),
  arg(
    "scheduler",
    SCHEDULER_DICT,
    null,
    "A DeepSpeed LR scheduler {type, params}; replaces GPT-NeoX's own schedule.",
    unsupported("a DeepSpeed LR scheduler (use lr_decay_style and warmup)", {
      when: isDict,
      describe: "scheduler",
    }),
  ),
  arg("fp32_allreduce", t.bool, false, "All-reduce gradients in fp32 in half-precision runs."),
  arg(
    "prescale_gradients",
    t.bool,
    false,
    "Divide gradients by the data-parallel size before the all-reduce.",
  ),
  arg(
    "gradient_predivide_factor",
    t.float,
    1.0,
    "Divide gradients by this before the all-reduce, the rest after.",
  ),
  arg(
    "sparse_gradients",
    t.bool,
    false,
    "Sparse all-reduce of embedding gradients.",
    unsupported("sparse embedding gradient all-reduce", { when: isTrue, describe: "sparse_gradients: true" }),
  ),
  arg(
    "fp16",
    PRECISION_DICT,
    null,
    "fp16 mixed precision: {enabled, loss_scale (0 = dynamic), initial_scale_power, loss_scale_window, hysteresis, min_loss_scale}.",
  ),
  arg("bf16", PRECISION_DICT, null, "bfloat16 mixed precision with fp32 master weights: {enabled}."),
  arg("amp", AMP_DICT, null, "NVIDIA Apex AMP mixed precision.", whenEnabled("amp", "Apex AMP")),
  arg("gradient_clipping", t.float, 1.0, "Clip gradients to this global L2 norm (0 disables)."),
  arg(
    "zero_optimization",
    ZERO_DICT,
    null,
    "ZeRO: stage 0, 1 (optimizer state sharded) or 2 (gradients too); reduce_bucket_size, overlap_comm; default stage 0.",
    unsupported("ZeRO stage 3 and offload", { explain: unsupportedZero }),
  ),
  arg(
    "curriculum_learning",
    CURRICULUM_DICT,
    null,
    "Sequence-length curriculum (DeepSpeed CurriculumScheduler).",
    whenEnabled("curriculum_learning", "curriculum learning"),
  ),
  arg("curriculum_seqlen", t.int, 0, "Derived: current curriculum sequence length."),
  arg("steps_per_print", t.int, 10, "DeepSpeed's own progress print interval.", noEffect(DS_ONLY)),
  arg("wall_clock_breakdown", t.bool, false, "DeepSpeed forward/backward/step timers.", noEffect(DS_ONLY)),
  arg("dump_state", t.bool, false, "Print DeepSpeed's state after initialisation.", noEffect(DS_ONLY)),
  arg(
    "flops_profiler",
    FLOPS_PROFILER_DICT,
    null,
    "DeepSpeed FLOPS profiler.",
    whenEnabled("flops_profiler", "the DeepSpeed FLOPS profiler"),
  ),
  arg(
    "communication_data_type",
    t.bool,
    null,
    "DeepSpeed gradient communication dtype (GPT-NeoX annotates it bool).",
    unsupported("choosing the gradient communication dtype (use fp32_allreduce)"),
  ),
  arg(
    "autotuning",
    ENABLED_OPEN_DICT,
    null,
    "DeepSpeed autotuning.",
    whenEnabled("autotuning", "DeepSpeed autotuning"),
  ),
  arg(
    "activation_checkpointing",
    ACTIVATION_CHECKPOINTING_DICT,
    null,
    "DeepSpeed activation-checkpointing options (partition, CPU, contiguous buffers).",
    noEffect("DeepSpeed activation-checkpointing options; checkpoint_activations selects checkpointing here"),
  ),
  arg(
    "sparse_attention",
    ENABLED_OPEN_DICT,
    null,
    "DeepSpeed sparse attention settings.",
    unsupported("block-sparse attention (DeepSpeed sparse attention)", {
      when: isDict,
      describe: "sparse_attention",
    }),
  ),
  arg(
    "data_efficiency",
    ENABLED_OPEN_DICT,
    null,
    "DeepSpeed data efficiency (data sampling, random-LTD).",
    whenEnabled("data_efficiency", "DeepSpeed data efficiency"),
  ),
  arg(
    "tensorboard",
    MONITOR_DICT,
    null,
    "DeepSpeed's TensorBoard monitor.",
    whenEnabled("tensorboard", "DeepSpeed's own TensorBoard monitor (use tensorboard_dir)"),
  ),
  arg(
    "wandb",
    WANDB_DICT,
    null,
    "DeepSpeed's W&B monitor.",
    whenEnabled("wandb", "DeepSpeed's own W&B monitor (use use_wandb)"),
  ),
  arg(
    "csv_monitor",
    MONITOR_DICT,
    null,
    "DeepSpeed's CSV monitor.",
    whenEnabled("csv_monitor", "DeepSpeed's CSV monitor"),
  ),
  arg(
    "elasticity",
    ELASTICITY_DICT,
    null,
    "DeepSpeed elastic training.",
    whenEnabled("elasticity", "elastic training"),
  ),
  arg(
    "comms_logger",
    COMMS_LOGGER_DICT,
    null,
    "DeepSpeed communication logger.",
    whenEnabled("comms_logger", "the DeepSpeed communication logger"),
  ),
  arg(
    "compression_training",
    ENABLED_OPEN_DICT,
    null,
    "DeepSpeed compression (quantisation / pruning during training).",
    unsupported("DeepSpeed compression training", { when: isDict, describe: "compression_training" }),
  ),
  arg(
    "checkpoint",
    CHECKPOINT_DICT,
    null,
    "DeepSpeed checkpoint-engine options (tag validation, node-local storage, parallel write).",
    noEffect("DeepSpeed checkpoint-engine options; checkpoints here are layout-independent safetensors"),
  ),
  arg(
    "data_types",
    DATA_TYPES_DICT,
    null,
    'Data types, e.g. {grad_accum_dtype: "fp32"} for fp32 gradient accumulation.',
  ),
  arg(
    "deepspeed_extra_args",
    t.dict,
    null,
    "More DeepSpeed config entries; each is checked like the top-level key of the same name.",
  ),
];
