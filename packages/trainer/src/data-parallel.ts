// Data parallelism, ZeRO stage 0 (DeepSpeed's plain data parallel): every rank holds the whole
// model and optimizer state, trains on its own slice of each global batch (batches.ts), and
// averages the flat gradient over the ranks before clipping and the optimizer, so every rank
// applies the same update from the same parameters. The reported loss is averaged the same way.
//
// This slice all-reduces the whole flat gradient once per step, after the last micro-batch's
// backward; DeepSpeed's bucketed all-reduce overlapped with the backward is later work.
import { initProcessGroup, launcherRank, type ProcessGroup } from "@neox/parallel";
import { keep, Tensor } from "@neox/tensor";

export class DataParallel {
  /** One f32 slot for scalar reductions (a validation loss); kept between calls. */
  private readonly scalar: Tensor;

  constructor(readonly group: ProcessGroup) {
    this.scalar = keep(Tensor.fromArray(new Float32Array(1), [1]));
  }

  get rank(): number {
    return this.group.rank;
  }

  get size(): number {
    return this.group.size;
  }

  /**
   * The world group when a launcher (mpirun) started this process, else null (one process: no
   * MPI at all, so a plain `neox train` never needs the MPI binding).
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): DataParallel | null {
    const launched = launcherRank(env);
    if (!launched) return null;
    return new DataParallel(initProcessGroup({ env }));
  }

  /** Averages the flat gradient and the micro-batch losses over the ranks, in place. */
  async reduceStep(grads: Tensor, losses: Tensor): Promise<void> {
    if (this.size === 1) return;
    await Promise.all([
      this.group.allReduce(grads, { op: "avg" }),
      this.group.allReduce(losses, { op: "avg" }),
    ]);
  }

  /** The mean of `x` over the ranks. */
  async mean(x: number): Promise<number> {
    if (this.size === 1) return x;
    this.scalar.write(Float32Array.of(x));
    await this.group.allReduce(this.scalar, { op: "avg" });
    return this.scalar.toFloat32Array()[0]!;
  }

  /** The sum of `x` over the ranks. */
  async sum(x: number): Promise<number> {
    if (this.size === 1) return x;
    this.scalar.write(Float32Array.of(x));
    await this.group.allReduce(this.scalar, { op: "sum" });
    return this.scalar.toFloat32Array()[0]!;
  }

  barrier(): Promise<void> {
    return this.group.barrier();
  }

  dispose(): void {
    this.scalar.dispose();
  }
}
