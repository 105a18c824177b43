// initProcessGroup(): the world group of this process, from the backend (MPI), checked against what
// the launcher told the process. A mismatch means MPI did not see the launcher (for instance a
// binary started by a different mpirun than the library's), which would otherwise surface as every
// rank believing it is rank 0 of 1.
import type { CommBackend } from "./backend";
import { MpiBackend } from "./mpi-backend";
import { ProcessGroup } from "./process-group";

export interface InitOptions {
  /** Only "mpi" exists today. */
  backend?: "mpi";
  /** The environment to check the ranks against (default process.env). */
  env?: NodeJS.ProcessEnv;
}

let world: ProcessGroup | undefined;

/** The (rank, size) a launcher announced, and the variables they came from; null when none did. */
export function launcherRank(env: NodeJS.ProcessEnv): { rank: number; size: number; from: string } | null {
  const pairs: [string, string][] = [
    ["OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"],
    ["PMI_RANK", "PMI_SIZE"],
    ["PMIX_RANK", "PMIX_SIZE"],
    // srun --mpi=pmix sets PMIX_RANK but no size; the step's task count is the world
    ["PMIX_RANK", "SLURM_STEP_NUM_TASKS"],
  ];
  for (const [r, s] of pairs) {
    if (env[r] === undefined || env[s] === undefined) continue;
    const rank = Number(env[r]);
    const size = Number(env[s]);
    if (!Number.isInteger(rank) || !Number.isInteger(size) || rank < 0 || size < 1 || rank >= size)
      throw new Error(`launcher environment: ${r}=${env[r]} ${s}=${env[s]} is not a rank below a size`);
    return { rank, size, from: `${r}/${s}` };
  }
  return null;
}

/** Initialises the backend once per process and returns the world group. */
export function initProcessGroup(opts: InitOptions = {}): ProcessGroup {
  if (world) return world;
  const name = opts.backend ?? "mpi";
  if (name !== "mpi") throw new Error(`initProcessGroup: unknown backend "${name}", expected "mpi"`);
  const backend: CommBackend = new MpiBackend();
  const info = backend.world();
  const launched = launcherRank(opts.env ?? process.env);
  if (launched && (launched.rank !== info.rank || launched.size !== info.size)) {
    throw new Error(
      `initProcessGroup: MPI says rank ${info.rank} of ${info.size} but ${launched.from} say rank ${launched.rank} of ${launched.size}; ` +
        "was the process started by the mpirun of the Open MPI it links against?",
    );
  }
  world = new ProcessGroup(backend, info);
  return world;
}
