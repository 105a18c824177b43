// Data parallelism: the process group of the ranks, each training on its own slice of each global
// batch (batches.ts). At ZeRO stage 0 (DeepSpeed's plain data parallel) every rank holds the whole
// model and optimizer state and the flat gradient is averaged over the ranks (bucket by bucket,
// grad-sync.ts) before clipping and the optimizer, so every rank applies the same update from the
// same parameters; stages 1 and 2 shard the optimizer (zero.ts). The reported loss is averaged the
// same way; scalar reductions (validation loss, the stop vote) go through here too.
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
