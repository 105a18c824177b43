// NeoXArgsLogging (GPT-NeoX megatron/neox_arguments/neox_args.py): W&B, TensorBoard, Comet,
// debugging norms, gradient noise scale, profiling. TensorBoard, W&B and JSONL (log_dir) are
// supported; Comet and the CUDA profilers are not.
import { type ArgDecl, type ArgType, arg as declare, type Support, t, unsupported } from "../schema/types";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("logging", name, type, def, doc, support);

const COMET = "Comet logging";
const NOISE = "gradient noise scale logging";

export const LOGGING_ARGS: readonly ArgDecl[] = [
  arg("use_wandb", t.bool, null, "Log to Weights & Biases."),
  arg("wandb_group", t.str, null, "W&B group that collects related runs."),
  arg("wandb_run_name", t.str, null, "W&B run name."),
  arg("wandb_team", t.str, null, "W&B team (entity)."),
  arg("wandb_project", t.str, "neox", "W&B project."),
  arg("wandb_host", t.str, "https://api.wandb.ai", "W&B server URL."),
  arg("wandb_init_all_ranks", t.bool, false, "Start a W&B run on every rank, not only rank 0."),
  arg(
    "git_hash",
    t.str,
    null,
    "Derived: `git describe --always` of the code that runs, recorded with the run.",
  ),
  arg("log_dir", t.str, null, "Directory for logs (the JSONL metrics sink writes here)."),
  arg("tensorboard_dir", t.str, null, "Write TensorBoard event files here."),
  arg("use_comet", t.bool, null, "Log to Comet.", unsupported(COMET)),
  arg("comet_workspace", t.opt(t.str), null, "Comet workspace.", unsupported(COMET)),
  arg("comet_project", t.opt(t.str), null, "Comet project.", unsupported(COMET)),
  arg("comet_experiment_name", t.opt(t.str), null, "Comet experiment name.", unsupported(COMET)),
  arg("comet_tags", t.opt(t.list(t.any)), null, "Tags for the Comet experiment.", unsupported(COMET)),
  arg("comet_others", t.opt(t.dict), null, "Extra metadata for the Comet experiment.", unsupported(COMET)),
  arg("comet_experiment", t.any, null, "Derived: the live Comet experiment object.", unsupported(COMET)),
  arg("peak_theoretical_tflops", t.float, null, "Peak device TFLOPS, for model/hardware FLOPs utilisation."),
  arg("log_interval", t.int, 100, "Iterations between training log lines."),
  arg("log_grad_pct_zeros", t.bool, false, "Log the percentage of zero gradient entries per parameter."),
  arg("log_param_norm", t.bool, false, "Log the norm of each parameter."),
  arg("log_grad_norm", t.bool, false, "Log the norm of each parameter's gradient."),
  arg("log_optimizer_states", t.bool, false, "Log the norms of the optimizer states."),
  arg(
    "log_gradient_noise_scale",
    t.bool,
    false,
    "Log the gradient noise scale (arXiv:1812.06162); broken in GPT-NeoX itself.",
    unsupported(NOISE),
  ),
  arg(
    "gradient_noise_scale_n_batches",
    t.int,
    5,
    "Batches accumulated per gradient noise scale estimate.",
    unsupported(NOISE),
  ),
  arg(
    "gradient_noise_scale_cpu_offload",
    t.bool,
    false,
    "Keep the gradient noise scale buffers on the CPU.",
    unsupported(NOISE),
  ),
  arg(
    "memory_profiling",
    t.bool,
    false,
    "Take a CUDA memory snapshot of the run.",
    unsupported("CUDA memory snapshotting"),
  ),
  arg(
    "memory_profiling_path",
    t.str,
    null,
    "Where the memory snapshot goes.",
    unsupported("CUDA memory snapshotting"),
  ),
  arg(
    "profile",
    t.bool,
    false,
    "Mark nsys / PyTorch profiler ranges between the two steps below.",
    unsupported("nsys / PyTorch profiling"),
  ),
  arg(
    "profile_step_start",
    t.int,
    10,
    "Step where profiling starts.",
    unsupported("nsys / PyTorch profiling"),
  ),
  arg("profile_step_stop", t.int, 12, "Step where profiling stops.", unsupported("nsys / PyTorch profiling")),
];
