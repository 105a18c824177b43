// The MPI binding (build/Release/neox_mpi.node), loaded on demand. It is a separate addon from the
// kernels: CMake builds it only when the MPI headers exist (libopenmpi-dev), and the kernels must
// load on machines without libmpi. @neox/parallel's ProcessGroup is the API to use; these are the
// raw entry points (addresses from alloc(), element counts, dtype "f32" | "bf16").
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export type MpiDtype = "f32" | "bf16";
export type MpiReduceOp = "sum" | "avg";

export interface MpiWorld {
  rank: number;
  size: number;
  /** The MPI_THREAD_* level MPI provided (0 single .. 3 multiple); the engine asks for 2, serialized. */
  threadLevel: number;
  /** First line of MPI_Get_library_version, e.g. "Open MPI v4.1.4". */
  library: string;
}

export interface MpiSubGroup {
  /** -1 when this rank passed a negative color (it belongs to no sub-group). */
  handle: number;
  rank: number;
  size: number;
}

/** Group handles are small integers; 0 is the world. Every collective resolves once it finished. */
export interface NativeMpi {
  mpiInit(): MpiWorld;
  mpiFinalize(): void;
  mpiAllReduce(group: number, buf: number, count: number, dtype: MpiDtype, op: MpiReduceOp): Promise<void>;
  mpiReduceScatter(
    group: number,
    send: number,
    recv: number,
    countPerRank: number,
    dtype: MpiDtype,
    op: MpiReduceOp,
  ): Promise<void>;
  /** send holds the sum of counts; rank r receives counts[r] elements (added to recv with accumulate). */
  mpiReduceScatterV(
    group: number,
    send: number,
    recv: number,
    counts: readonly number[],
    dtype: MpiDtype,
    op: MpiReduceOp,
    accumulate: boolean,
    discard: boolean,
  ): Promise<void>;
  /** Blocks until every operation issued before has finished (their promises settle later). */
  mpiDrain(): void;
  mpiAllGather(
    group: number,
    send: number,
    recv: number,
    countPerRank: number,
    dtype: MpiDtype,
  ): Promise<void>;
  mpiBroadcast(group: number, buf: number, count: number, dtype: MpiDtype, root: number): Promise<void>;
  mpiSend(
    group: number,
    buf: number,
    count: number,
    dtype: MpiDtype,
    peer: number,
    tag: number,
  ): Promise<void>;
  mpiRecv(
    group: number,
    buf: number,
    count: number,
    dtype: MpiDtype,
    peer: number,
    tag: number,
  ): Promise<void>;
  mpiBarrier(group: number): Promise<void>;
  mpiSplit(group: number, color: number, key: number): Promise<MpiSubGroup>;
  mpiFreeGroup(group: number): Promise<void>;
}

const MPI_RELATIVE = ["../build/Release/neox_mpi.node", "../build/Debug/neox_mpi.node"];
export const MPI_BUILD_HINT =
  "built without MPI: install libopenmpi-dev and rebuild (`pnpm --filter @neox/kernels build:native`)";

let cached: NativeMpi | undefined;

/** The paths tried: build/Release, build/Debug; or only $NEOX_MPI_ADDON when set. */
export function mpiAddonCandidates(): string[] {
  const env = process.env.NEOX_MPI_ADDON;
  if (env) return [env];
  return MPI_RELATIVE.map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
}

/** Loads neox_mpi.node (once); throws "built without MPI: ..." when it was not built. */
export function nativeMpi(): NativeMpi {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const candidates = mpiAddonCandidates();
  const present = candidates.filter((p) => existsSync(p));
  if (present.length === 0) {
    throw new Error(`${MPI_BUILD_HINT}; tried ${candidates.map((p) => `${p} (missing)`).join(", ")}`);
  }
  const tried: string[] = [];
  for (const path of present) {
    try {
      cached = require(path) as NativeMpi;
      return cached;
    } catch (err) {
      tried.push(`${path} (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`);
    }
  }
  throw new Error(
    `the MPI binding failed to load: tried ${tried.join(", ")}. Is libmpi installed (openmpi-bin)?`,
  );
}

/** True when the MPI binding loads; never throws (and never initialises MPI). */
export function mpiAvailable(): boolean {
  try {
    nativeMpi();
    return true;
  } catch {
    return false;
  }
}
