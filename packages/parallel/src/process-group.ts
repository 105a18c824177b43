// ProcessGroup: the ranks that take part in a collective, and the collectives themselves. Every
// operation returns a Promise that settles once the backend finished it; the buffers must stay
// alive and untouched until then. Collectives must be issued in the same order on every rank of a
// group (the MPI backend runs them in issue order on one communication thread).
import type { Tensor } from "@neox/tensor";
import type {
  CommBackend,
  CommBuffer,
  CommDevice,
  CommDtype,
  CommStream,
  GroupInfo,
  ReduceOp,
} from "./backend";

/** A Tensor (contiguous, f32 or bf16) or a raw buffer such as @neox/kernels' NativeBuffer. */
export type Buffer = Tensor | { address: number; count: number; dtype: string; device?: string };

export interface ReduceOptions {
  op?: ReduceOp;
  stream?: CommStream;
}

function isTensor(b: Buffer): b is Tensor {
  return "shape" in b && "numel" in b;
}

/** Normalises a buffer argument; `what` names the method and argument in errors. */
export function commBuffer(b: Buffer, what: string): CommBuffer {
  let out: { address: number; count: number; dtype: string; device: string };
  if (isTensor(b)) {
    if (!b.isContiguous) throw new Error(`${what}: tensor [${b.shape.join(", ")}] is not contiguous`);
    out = { address: b.address, count: b.numel, dtype: b.dtype, device: b.device };
  } else {
    out = { address: b.address, count: b.count, dtype: b.dtype, device: b.device ?? "cpu" };
  }
  if (out.dtype !== "f32" && out.dtype !== "bf16")
    throw new Error(`${what}: dtype ${out.dtype} is not supported, expected f32 or bf16`);
  if (out.device !== "cpu" && out.device !== "cuda") throw new Error(`${what}: unknown device ${out.device}`);
  return {
    address: out.address,
    count: out.count,
    dtype: out.dtype as CommDtype,
    device: out.device as CommDevice,
  };
}

export class ProcessGroup {
  readonly rank: number;
  readonly size: number;
  /** The backend's handle for this group (0 is the world). */
  readonly handle: number;
  #freed = false;

  constructor(
    readonly backend: CommBackend,
    info: GroupInfo,
  ) {
    this.rank = info.rank;
    this.size = info.size;
    this.handle = info.handle;
  }

  /** In place: every rank ends with the element-wise sum (or mean) over the group. */
  allReduce(buf: Buffer, opts: ReduceOptions = {}): Promise<void> {
    return this.#run("allReduce", () =>
      this.backend.allReduce(this.handle, this.#buf(buf, "allReduce"), opts.op ?? "sum", opts.stream),
    );
  }

  /** input: size × n elements; output: n elements, the reduction of block `rank` of every input. */
  reduceScatter(input: Buffer, output: Buffer, opts: ReduceOptions = {}): Promise<void> {
    return this.#run("reduceScatter", () => {
      const i = this.#buf(input, "reduceScatter input");
      const o = this.#buf(output, "reduceScatter output");
      this.#sameDtype("reduceScatter", i, o);
      if (i.count !== o.count * this.size)
        throw new Error(
          `reduceScatter: input has ${i.count} elements, expected size ${this.size} × output ${o.count} = ${o.count * this.size}`,
        );
      return this.backend.reduceScatter(this.handle, i, o, opts.op ?? "sum", opts.stream);
    });
  }

  /**
   * Reduce-scatter with a count per rank: input holds counts[0] + ... + counts[size - 1] elements
   * (segment r after segment r - 1); output gets this rank's segment reduced over the group, or has
   * it added with `accumulate`. `discard` zeroes the input afterwards (f32) and gives its whole
   * pages back to the system until they are written again.
   */
  reduceScatterV(
    input: Buffer,
    output: Buffer,
    counts: readonly number[],
    opts: ReduceOptions & { accumulate?: boolean; discard?: boolean } = {},
  ): Promise<void> {
    return this.#run("reduceScatterV", () => {
      const i = this.#buf(input, "reduceScatterV input");
      const o = this.#buf(output, "reduceScatterV output");
      this.#sameDtype("reduceScatterV", i, o);
      if (counts.length !== this.size)
        throw new Error(`reduceScatterV: ${counts.length} counts for a group of ${this.size} ranks`);
      if (counts.some((c) => !Number.isInteger(c) || c < 0))
        throw new Error(`reduceScatterV: counts must be non-negative integers, got [${counts.join(", ")}]`);
      const total = counts.reduce((a, b) => a + b, 0);
      if (i.count !== total)
        throw new Error(`reduceScatterV: input has ${i.count} elements, the counts add up to ${total}`);
      if (o.count !== counts[this.rank])
        throw new Error(
          `reduceScatterV: output has ${o.count} elements, rank ${this.rank}'s count is ${counts[this.rank]}`,
        );
      if (opts.discard && i.dtype !== "f32") throw new Error("reduceScatterV: discard takes an f32 input");
      return this.backend.reduceScatterV(
        this.handle,
        i,
        o,
        counts,
        opts.op ?? "sum",
        { accumulate: opts.accumulate ?? false, discard: opts.discard ?? false },
        opts.stream,
      );
    });
  }

  /**
   * Blocks this thread until every operation issued before has finished. The operations' promises
   * still settle later; the buffers are free to touch at once.
   */
  drain(): void {
    if (this.#freed) throw new Error("drain: the process group was freed or finalized");
    this.backend.drain();
  }

  /** input: n elements; output: size × n elements, block r from rank r. */
  allGather(input: Buffer, output: Buffer, opts: { stream?: CommStream } = {}): Promise<void> {
    return this.#run("allGather", () => {
      const i = this.#buf(input, "allGather input");
      const o = this.#buf(output, "allGather output");
      this.#sameDtype("allGather", i, o);
      if (o.count !== i.count * this.size)
        throw new Error(
          `allGather: output has ${o.count} elements, expected size ${this.size} × input ${i.count} = ${i.count * this.size}`,
        );
      return this.backend.allGather(this.handle, i, o, opts.stream);
    });
  }

  /** Every rank's buffer becomes root's. */
  broadcast(buf: Buffer, root: number, opts: { stream?: CommStream } = {}): Promise<void> {
    return this.#run("broadcast", () => {
      this.#checkRank("broadcast", "root", root);
      return this.backend.broadcast(this.handle, this.#buf(buf, "broadcast"), root, opts.stream);
    });
  }

  /** Resolves when the buffer may be reused (the message was handed to MPI or delivered). */
  send(buf: Buffer, peer: number, tag = 0): Promise<void> {
    return this.#run("send", () => {
      this.#checkRank("send", "peer", peer);
      return this.backend.send(this.handle, this.#buf(buf, "send"), peer, this.#tag("send", tag));
    });
  }

  /** Resolves when the message from `peer` with `tag` is in the buffer. */
  recv(buf: Buffer, peer: number, tag = 0): Promise<void> {
    return this.#run("recv", () => {
      this.#checkRank("recv", "peer", peer);
      return this.backend.recv(this.handle, this.#buf(buf, "recv"), peer, this.#tag("recv", tag));
    });
  }

  barrier(): Promise<void> {
    return this.#run("barrier", () => this.backend.barrier(this.handle));
  }

  /**
   * Collective over this group: ranks passing the same color form a sub-group, ordered by key (then
   * by rank here). A negative color leaves this rank out: it gets null.
   */
  async split(color: number, key = this.rank): Promise<ProcessGroup | null> {
    if (!Number.isInteger(color) || !Number.isInteger(key))
      throw new Error(`split: color and key must be integers, got ${color} and ${key}`);
    const info = await this.#run("split", () => this.backend.split(this.handle, color, key));
    return info ? new ProcessGroup(this.backend, info) : null;
  }

  /** Releases a sub-group (collective over it). The world group is released by finalize(). */
  async free(): Promise<void> {
    if (this.handle === 0) throw new Error("free: the world group is released by finalize()");
    await this.#run("free", () => this.backend.free(this.handle));
    this.#freed = true;
  }

  /** Shuts the backend down (every rank, after its last operation resolved). */
  finalize(): void {
    this.backend.finalize();
    this.#freed = true;
  }

  #run<T>(what: string, start: () => Promise<T>): Promise<T> {
    try {
      if (this.#freed) throw new Error(`${what}: the process group was freed or finalized`);
      return start();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #buf(b: Buffer, what: string): CommBuffer {
    const c = commBuffer(b, what);
    if (c.device !== this.backend.device)
      throw new Error(
        `${what}: buffer is on ${c.device}, the ${this.backend.name} backend needs ${this.backend.device}`,
      );
    return c;
  }

  #sameDtype(what: string, a: CommBuffer, b: CommBuffer): void {
    if (a.dtype !== b.dtype) throw new Error(`${what}: input is ${a.dtype} but output is ${b.dtype}`);
  }

  #checkRank(what: string, name: string, r: number): void {
    if (!Number.isInteger(r) || r < 0 || r >= this.size)
      throw new Error(`${what}: ${name} ${r} is not a rank of this group (size ${this.size})`);
  }

  #tag(what: string, tag: number): number {
    // 32767 is the smallest MPI_TAG_UB the standard allows.
    if (!Number.isInteger(tag) || tag < 0 || tag > 32767)
      throw new Error(`${what}: tag ${tag} must be an integer from 0 to 32767`);
    return tag;
  }
}
