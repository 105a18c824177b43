// `neox train CONFIGS... [--set key=value ...] [--dry-run]`: the arguments, checked up front.
import { UsageError } from "@neox/config";

export { UsageError };

export const HELP = `usage: neox train CONFIG... [--set key=value ...] [-H HOSTFILE] [--device D] [--dry-run]

Trains a model as GPT-NeoX's train.py does, from YAML configs merged left to right
(GPT-NeoX's keys). Progress goes to the console; metrics to log_dir/metrics.jsonl and TensorBoard
event files in tensorboard_dir; checkpoints to save/global_stepN with save/latest naming the newest.
A load directory with a checkpoint resumes it exactly; without one training starts fresh.

  --set key=value   override a config value (repeatable; YAML value syntax, e.g. --set train_iters=50)
  -H, --hostfile F  GPT-NeoX's hostfile of "<host> slots=<n>" lines (the hostfile key; $DLTS_HOSTFILE
                    overrides both, as in GPT-NeoX)
  --device D        cpu (the default), cuda or cuda:N: where the model, its gradients and optimizer
                    state live and the kernels run ($NEOX_DEVICE sets the default; the CUDA kernels
                    are built from kernels/gpu and not yet checked on a GPU)
  --dry-run         print the parameters, the memory estimate by component and the FLOPs per step,
                    and train nothing; when the config asks for more than one process (num_gpus > 1,
                    a hostfile, launcher: slurm), also the launch command and every rank's environment

More than one process (num_gpus > 1, or a hostfile's slots): neox train writes the resolved config
and runs mpirun (srun --mpi=pmix with launcher: slurm, inside salloc or sbatch); every rank trains
data parallel on its slice of each global batch (zero_optimization.stage 0; 1 shards the optimizer
state, 2 the gradients too). Only rank 0 prints, logs and saves; a failing rank ends the job and is
named with its last lines of stderr.

Ctrl-C (SIGINT) or SIGTERM finishes the current iteration, saves a checkpoint, says where, and exits
130/143. exit_interval saves and exits 0.

example:
  pnpm -s neox train configs/tiny.yml configs/local_setup.yml --set train_iters=100
`;

export interface TrainArgs {
  configs: string[];
  overrides: string[];
  dryRun: boolean;
  /** --device as given, or null (then $NEOX_DEVICE, else cpu). */
  device: string | null;
}

export function parseArgs(argv: readonly string[]): TrainArgs | "help" {
  const out: TrainArgs = { configs: [], overrides: [], dryRun: false, device: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") return "help";
    else if (a === "--dry-run") out.dryRun = true;
    else if (a === "--set") {
      const v = argv[++i];
      if (v === undefined || !v.includes("="))
        throw new UsageError(`--set expects key=value, got ${v ?? "nothing"}`);
      out.overrides.push(v);
    } else if (a.startsWith("--set=")) out.overrides.push(a.slice(6));
    else if (a === "-H" || a === "--hostfile") {
      const v = argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${a} expects a hostfile path, got nothing`);
      // deepy's -H sets the hostfile key; quoted so any path reads back as a YAML string
      out.overrides.push(`hostfile=${JSON.stringify(v)}`);
    } else if (a.startsWith("--hostfile=")) out.overrides.push(`hostfile=${JSON.stringify(a.slice(11))}`);
    else if (a === "--device") {
      const v = argv[++i];
      if (v === undefined || v === "")
        throw new UsageError("--device expects cpu, cuda or cuda:N, got nothing");
      out.device = v;
    } else if (a.startsWith("--device=")) out.device = a.slice(9);
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a} (see neox train --help)`);
    else out.configs.push(a);
  }
  if (out.configs.length === 0) throw new UsageError("no config files given (see neox train --help)");
  return out;
}
