// Inside a launched rank: who am I. GPT-NeoX's configure_distributed_args reads RANK/LOCAL_RANK/
// WORLD_SIZE, after deepspeed_mpi (Open MPI's OMPI_COMM_WORLD_*) or deepspeed_slurm (SLURM_*)
// discovery fills them. The env is a parameter so a test can pass any launcher's variables.
import { LaunchError } from "./errors";
import type { Env } from "./slurm";

export interface RankIdentity {
  rank: number;
  localRank: number;
  worldSize: number;
  /** The variables the numbers came from. */
  source: "RANK" | "OMPI_COMM_WORLD" | "SLURM" | "none";
}

function read(env: Env, name: string): number {
  const v = env[name];
  if (v === undefined || !/^\d+$/.test(v)) {
    throw new LaunchError(
      `${name}: expected a whole number ≥ 0, got ${v === undefined ? "nothing" : JSON.stringify(v)}`,
    );
  }
  return Number(v);
}

function checked(id: RankIdentity): RankIdentity {
  if (id.worldSize < 1 || id.rank >= id.worldSize || id.localRank > id.rank) {
    throw new LaunchError(
      `rank ${id.rank} (local ${id.localRank}) does not fit a world of ${id.worldSize} (from ${id.source} variables)`,
    );
  }
  return id;
}

/** This process's rank; a process no launcher started is rank 0 of 1. */
export function rankFromEnv(env: Env): RankIdentity {
  if (env.RANK !== undefined) {
    return checked({
      rank: read(env, "RANK"),
      localRank: env.LOCAL_RANK === undefined ? 0 : read(env, "LOCAL_RANK"),
      worldSize: read(env, "WORLD_SIZE"),
      source: "RANK",
    });
  }
  if (env.OMPI_COMM_WORLD_RANK !== undefined) {
    return checked({
      rank: read(env, "OMPI_COMM_WORLD_RANK"),
      localRank: read(env, "OMPI_COMM_WORLD_LOCAL_RANK"),
      worldSize: read(env, "OMPI_COMM_WORLD_SIZE"),
      source: "OMPI_COMM_WORLD",
    });
  }
  if (env.SLURM_PROCID !== undefined) {
    // deepspeed_slurm: WORLD_SIZE from SLURM_NTASKS, else SLURM_NNODES × SLURM_NTASKS_PER_NODE
    const world =
      env.SLURM_NTASKS !== undefined
        ? read(env, "SLURM_NTASKS")
        : read(env, "SLURM_NNODES") * read(env, "SLURM_NTASKS_PER_NODE");
    return checked({
      rank: read(env, "SLURM_PROCID"),
      localRank: read(env, "SLURM_LOCALID"),
      worldSize: world,
      source: "SLURM",
    });
  }
  return { rank: 0, localRank: 0, worldSize: 1, source: "none" };
}
