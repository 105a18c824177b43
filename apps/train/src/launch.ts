// `neox train`'s launch step: which processes the config asks for (@neox/launch, from GPT-NeoX's
// launcher keys and this process's environment), and the config re-derived at that world size, as
// GPT-NeoX derives global_num_gpus from the hostfile. run-ranks.ts starts the planned ranks;
// worker.ts is what each of them runs.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { formatProblem, type ResolvedConfig, resolveConfig } from "@neox/config";
import { defaultConfigPath, LaunchError, type LaunchPlan, planLaunch } from "@neox/launch";

export function trainLaunchPlan(r: ResolvedConfig): LaunchPlan {
  const configPath = defaultConfigPath(r.values, String(process.pid));
  // each rank runs this very command (node, its loader flags, the neox entry) on the written config
  const worker = [process.execPath, ...process.execArgv, process.argv[1] ?? "neox", "train", configPath];
  return planLaunch(r.values, {
    env: process.env,
    worker,
    configPath,
    cpus: availableParallelism(),
    isRoot: process.getuid?.() === 0,
    fileExists: existsSync,
  });
}

/** The config derived at the plan's world size (batch triple, data parallel size), or null after printing problems. */
export function atWorldSize(
  r: ResolvedConfig,
  worldSize: number,
  overrides: readonly string[],
  write: (line: string) => void,
): ResolvedConfig | null {
  if (worldSize === r.derived.world_size) return r;
  const sized = resolveConfig(r.files, { overrides, worldSize });
  if (sized.problems.length === 0) return sized;
  for (const p of sized.problems) write(formatProblem(p));
  write(`neox train: ${sized.problems.length} problem(s) in the config at ${worldSize} processes`);
  return null;
}

/**
 * The plan, or null after one line on stderr: a launch error (a bad hostfile line, pdsh across
 * hosts, Slurm outside an allocation).
 */
export function launchPlanOrRefuse(r: ResolvedConfig, write: (line: string) => void): LaunchPlan | null {
  let plan: LaunchPlan;
  try {
    plan = trainLaunchPlan(r);
  } catch (e) {
    if (!(e instanceof LaunchError)) throw e;
    write(`neox train: ${e.message}`);
    return null;
  }
  return plan;
}
