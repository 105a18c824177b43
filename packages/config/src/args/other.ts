// NeoXArgsOther (GPT-NeoX megatron/neox_arguments/neox_args.py): distributed setup, seed,
// deprecated DeepSpeed switches and values the launcher or the run fills in.
import {
  type ArgDecl,
  type ArgType,
  arg as declare,
  noEffect,
  type Support,
  t,
  unsupported,
} from "../schema/types";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("other", name, type, def, doc, support);

const AUTORESUME = "ADLR cluster auto-resume";
const ENV_DISCOVERY = "ranks come from RANK/WORLD_SIZE or the MPI/Slurm environment automatically here";

export const OTHER_ARGS: readonly ArgDecl[] = [
  arg(
    "distributed_backend",
    t.str,
    "nccl",
    'Collective backend: "nccl" for GPUs; CPU runs use the TCP/MPI process group whatever this says.',
  ),
  arg("local_rank", t.int, null, "Derived: rank within the node, from the launcher (LOCAL_RANK)."),
  arg("rank", t.int, null, "Derived: global rank, from the launcher (RANK)."),
  arg(
    "lazy_mpu_init",
    t.bool,
    false,
    "Leave process-group setup to an external DDP manager.",
    unsupported("an external DDP manager (lazy model-parallel init)"),
  ),
  arg(
    "short_seq_prob",
    t.float,
    0.1,
    "Probability of a short sample (Megatron BERT legacy).",
    noEffect("read by nothing in GPT-NeoX either (a Megatron BERT leftover)"),
  ),
  arg("eod_mask_loss", t.bool, false, "Exclude end-of-document tokens from the loss."),
  arg("adlr_autoresume", t.bool, false, "Auto-resume on the ADLR cluster.", unsupported(AUTORESUME)),
  arg(
    "adlr_autoresume_interval",
    t.int,
    1000,
    "Iterations between auto-resume checks.",
    unsupported(AUTORESUME),
  ),
  arg("seed", t.int, 1234, "Random seed for initialisation, dropout and data order."),
  arg(
    "onnx_safe",
    t.bool,
    false,
    "Write GELU as x/2*(1+erf(x/1.41421)) for ONNX export (exclusive with bias_gelu_fusion).",
  ),
  arg(
    "deepscale",
    t.bool,
    false,
    "Deprecated DeepSpeed flag.",
    noEffect("deprecated; GPT-NeoX ignores it as well"),
  ),
  arg(
    "deepscale_config",
    t.str,
    null,
    "Deprecated DeepSpeed JSON config path.",
    noEffect("deprecated; GPT-NeoX ignores it as well"),
  ),
  arg("deepspeed_mpi", t.bool, false, "Discover ranks from the MPI environment.", noEffect(ENV_DISCOVERY)),
  arg(
    "deepspeed_slurm",
    t.bool,
    false,
    "Discover ranks from the Slurm environment.",
    noEffect(ENV_DISCOVERY),
  ),
  arg(
    "user_script",
    t.str,
    null,
    "Script deepy.py launches (train.py, generate.py, eval.py).",
    noEffect("the `neox` verb (train, generate, eval) chooses what runs here"),
  ),
  arg("iteration", t.int, null, "Checkpoint iteration to load (latest when unset); the run's current step."),
  arg("do_train", t.bool, null, "Derived: a training split is present."),
  arg("do_valid", t.bool, null, "Derived: a validation split is present."),
  arg("do_test", t.bool, null, "Derived: a test split is present."),
  arg(
    "global_num_gpus",
    t.int,
    null,
    "Derived: number of processes in the run (from the launcher or hostfile).",
  ),
];
