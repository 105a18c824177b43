// The communication backend a ProcessGroup drives. Only "mpi" (host memory, Open MPI) exists; the
// interface is shaped so NCCL can join later: buffers name their device, and every collective takes
// an optional stream it is ordered on (NCCL enqueues on a CUDA stream and resolves when the stream
// reaches it; MPI has no streams and ignores it).

/** Element types the collectives take. bf16 reductions sum in fp32 and round once (kernels/mpi/engine.h). */
export type CommDtype = "f32" | "bf16";
export type ReduceOp = "sum" | "avg";
export type CommDevice = "cpu" | "cuda";

/** A contiguous run of elements at a native address (a NativeBuffer or a contiguous Tensor fits). */
export interface CommBuffer {
  readonly address: number;
  readonly count: number;
  readonly dtype: CommDtype;
  readonly device: CommDevice;
}

/** An opaque device stream (cudaStream_t for NCCL). */
export interface CommStream {
  readonly handle: number;
}

/** A group as a backend knows it: a handle (0 is the world), this rank's place in it, its size. */
export interface GroupInfo {
  readonly handle: number;
  readonly rank: number;
  readonly size: number;
}

export interface CommBackend {
  readonly name: "mpi" | "nccl";
  /** Where buffers must live. */
  readonly device: CommDevice;
  /** The world group; initialises the backend on first call. */
  world(): GroupInfo;
  allReduce(group: number, buf: CommBuffer, op: ReduceOp, stream?: CommStream): Promise<void>;
  /** input holds size × output.count elements; rank r receives the reduction of block r. */
  reduceScatter(
    group: number,
    input: CommBuffer,
    output: CommBuffer,
    op: ReduceOp,
    stream?: CommStream,
  ): Promise<void>;
  /**
   * input holds counts[0] + ... + counts[size - 1] elements; rank r receives the reduction of its
   * segment (added to output with `accumulate`). `discard` zeroes the f32 input afterwards and
   * returns its whole pages to the system.
   */
  reduceScatterV(
    group: number,
    input: CommBuffer,
    output: CommBuffer,
    counts: readonly number[],
    op: ReduceOp,
    opts: { accumulate: boolean; discard: boolean },
    stream?: CommStream,
  ): Promise<void>;
  /** Blocks the calling thread until every operation issued before has finished. */
  drain(): void;
  /** output holds size × input.count elements, block r from rank r. */
  allGather(group: number, input: CommBuffer, output: CommBuffer, stream?: CommStream): Promise<void>;
  broadcast(group: number, buf: CommBuffer, root: number, stream?: CommStream): Promise<void>;
  send(group: number, buf: CommBuffer, peer: number, tag: number, stream?: CommStream): Promise<void>;
  recv(group: number, buf: CommBuffer, peer: number, tag: number, stream?: CommStream): Promise<void>;
  barrier(group: number): Promise<void>;
  /** null for a rank that passed a negative color. */
  split(group: number, color: number, key: number): Promise<GroupInfo | null>;
  free(group: number): Promise<void>;
  finalize(): void;
}
