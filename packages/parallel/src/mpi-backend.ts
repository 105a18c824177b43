// The Open MPI backend: @neox/kernels' MPI binding (neox_mpi.node), whose engine thread runs every
// MPI call off the JS thread, in the order issued. Host buffers only.
import { type NativeMpi, nativeMpi } from "@neox/kernels";
import type { CommBackend, CommBuffer, GroupInfo, ReduceOp } from "./backend";

export class MpiBackend implements CommBackend {
  readonly name = "mpi" as const;
  readonly device = "cpu" as const;
  #mpi: NativeMpi | undefined;
  #world: GroupInfo | undefined;
  /** The MPI library, e.g. "Open MPI v4.1.4", and the thread level it provided. */
  library = "";
  threadLevel = -1;

  world(): GroupInfo {
    if (this.#world) return this.#world;
    this.#mpi = nativeMpi();
    const w = this.#mpi.mpiInit();
    this.library = w.library;
    this.threadLevel = w.threadLevel;
    this.#world = { handle: 0, rank: w.rank, size: w.size };
    return this.#world;
  }

  get #native(): NativeMpi {
    if (!this.#mpi) throw new Error("mpi backend: not initialised (call world() first)");
    return this.#mpi;
  }

  allReduce(group: number, buf: CommBuffer, op: ReduceOp): Promise<void> {
    return this.#native.mpiAllReduce(group, buf.address, buf.count, buf.dtype, op);
  }

  reduceScatter(group: number, input: CommBuffer, output: CommBuffer, op: ReduceOp): Promise<void> {
    return this.#native.mpiReduceScatter(
      group,
      input.address,
      output.address,
      output.count,
      output.dtype,
      op,
    );
  }

  reduceScatterV(
    group: number,
    input: CommBuffer,
    output: CommBuffer,
    counts: readonly number[],
    op: ReduceOp,
    opts: { accumulate: boolean; discard: boolean },
  ): Promise<void> {
    return this.#native.mpiReduceScatterV(
      group,
      input.address,
      output.address,
      counts,
      output.dtype,
      op,
      opts.accumulate,
      opts.discard,
    );
  }

  drain(): void {
    this.#native.mpiDrain();
  }

  allGather(group: number, input: CommBuffer, output: CommBuffer): Promise<void> {
    return this.#native.mpiAllGather(group, input.address, output.address, input.count, input.dtype);
  }

  broadcast(group: number, buf: CommBuffer, root: number): Promise<void> {
    return this.#native.mpiBroadcast(group, buf.address, buf.count, buf.dtype, root);
  }

  send(group: number, buf: CommBuffer, peer: number, tag: number): Promise<void> {
    return this.#native.mpiSend(group, buf.address, buf.count, buf.dtype, peer, tag);
  }

  recv(group: number, buf: CommBuffer, peer: number, tag: number): Promise<void> {
    return this.#native.mpiRecv(group, buf.address, buf.count, buf.dtype, peer, tag);
  }

  barrier(group: number): Promise<void> {
    return this.#native.mpiBarrier(group);
  }

  async split(group: number, color: number, key: number): Promise<GroupInfo | null> {
    const g = await this.#native.mpiSplit(group, color, key);
    return g.handle < 0 ? null : g;
  }

  free(group: number): Promise<void> {
    return this.#native.mpiFreeGroup(group);
  }

  finalize(): void {
    this.#native.mpiFinalize();
  }
}
