// A rank of a launched run (NEOX_RESOLVED_CONFIG set): the config the launcher wrote, derived at the
// world size mpirun gave this process (never a new launch plan), the kernels' thread pool sized so
// the machine's ranks do not oversubscribe its cores, and the data-parallel world group.
import { availableParallelism } from "node:os";
import { type ResolvedConfig, resolveForVerb } from "@neox/config";
import { LaunchError, rankFromEnv } from "@neox/launch";
import { numThreads, setNumThreads } from "@neox/tensor";
import { DataParallel } from "@neox/trainer";
import { atWorldSize } from "./launch";

export interface WorkerSetup {
  resolved: ResolvedConfig;
  dp: DataParallel;
}

/** Threads per rank: the cores shared evenly by this machine's ranks (at least 1). */
export function threadsPerRank(cores: number, localRanks: number, current: number): number {
  return localRanks * current > cores ? Math.max(1, Math.floor(cores / localRanks)) : current;
}

export function workerSetup(path: string, write: (line: string) => void): WorkerSetup | null {
  let world: number;
  try {
    world = rankFromEnv(process.env).worldSize;
  } catch (e) {
    if (!(e instanceof LaunchError)) throw e;
    write(`neox train: NEOX_RESOLVED_CONFIG=${path} is set but ${e.message}`);
    return null;
  }
  const config = resolveForVerb("train", [path], [], write);
  if (!config) return null;
  const resolved = atWorldSize(config, world, [], write);
  if (!resolved) return null;
  // this node's ranks: mpirun's OMPI_COMM_WORLD_LOCAL_SIZE, srun's SLURM_STEP_TASKS_PER_NODE ("2",
  // or "2(x3)" when every node runs 2), else all of them
  const fromSrun = /^(\d+)/.exec(process.env.SLURM_STEP_TASKS_PER_NODE ?? "")?.[1];
  const local = Number(process.env.OMPI_COMM_WORLD_LOCAL_SIZE ?? fromSrun ?? world);
  setNumThreads(threadsPerRank(availableParallelism(), local, numThreads()));
  const dp = DataParallel.fromEnv();
  if (!dp) {
    write(`neox train: NEOX_RESOLVED_CONFIG=${path} is set but no MPI launcher started this process`);
    return null;
  }
  return { resolved, dp };
}
