// `neox train CONFIGS... [--set key=value ...] [--dry-run]`: the arguments, checked up front.
import { UsageError } from "@neox/config";

export { UsageError };

export const HELP = `usage: neox train CONFIG... [--set key=value ...] [--dry-run]

Trains a model as GPT-NeoX's train.py does, in one process, from YAML configs merged left to right
(GPT-NeoX's keys). Progress goes to the console; metrics to log_dir/metrics.jsonl and TensorBoard
event files in tensorboard_dir; checkpoints to save/global_stepN with save/latest naming the newest.
A load directory with a checkpoint resumes it exactly; without one training starts fresh.

  --set key=value   override a config value (repeatable; YAML value syntax, e.g. --set train_iters=50)
  --dry-run         print the parameters, the memory estimate by component and the FLOPs per step,
                    and train nothing

Ctrl-C (SIGINT) or SIGTERM finishes the current iteration, saves a checkpoint, says where, and exits
130/143. exit_interval saves and exits 0.

example:
  pnpm -s neox train configs/tiny.yml configs/local_setup.yml --set train_iters=100
`;

export interface TrainArgs {
  configs: string[];
  overrides: string[];
  dryRun: boolean;
}

export function parseArgs(argv: readonly string[]): TrainArgs | "help" {
  const out: TrainArgs = { configs: [], overrides: [], dryRun: false };
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
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a} (see neox train --help)`);
    else out.configs.push(a);
  }
  if (out.configs.length === 0) throw new UsageError("no config files given (see neox train --help)");
  return out;
}
