// What initProcessGroup() and the buffer checks say before any MPI call: launcher variables, the
// "built without MPI" message, and argument errors. No MPI runs here (collectives.mpi.test.ts does).
import { nativeMpi } from "@neox/kernels";
import { afterEach, describe, expect, it } from "vitest";
import { commBuffer, launcherRank } from "../src/index";

describe("launcherRank", () => {
  it("reads Open MPI's, then PMI's variables", () => {
    expect(launcherRank({ OMPI_COMM_WORLD_RANK: "3", OMPI_COMM_WORLD_SIZE: "4" })).toEqual({
      rank: 3,
      size: 4,
      from: "OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE",
    });
    expect(launcherRank({ PMI_RANK: "1", PMI_SIZE: "2" })?.from).toBe("PMI_RANK/PMI_SIZE");
    // srun --mpi=pmix: PMIx's rank, the step's task count
    expect(launcherRank({ PMIX_RANK: "1", SLURM_STEP_NUM_TASKS: "2" })).toEqual({
      rank: 1,
      size: 2,
      from: "PMIX_RANK/SLURM_STEP_NUM_TASKS",
    });
    expect(launcherRank({})).toBeNull();
  });

  it("rejects a rank outside its size, naming the variables", () => {
    expect(() => launcherRank({ OMPI_COMM_WORLD_RANK: "4", OMPI_COMM_WORLD_SIZE: "4" })).toThrow(
      /OMPI_COMM_WORLD_RANK=4 OMPI_COMM_WORLD_SIZE=4 is not a rank below a size/,
    );
  });
});

describe("commBuffer", () => {
  it("passes f32/bf16 host buffers through and defaults the device to cpu", () => {
    expect(commBuffer({ address: 64, count: 3, dtype: "bf16" }, "t")).toEqual({
      address: 64,
      count: 3,
      dtype: "bf16",
      device: "cpu",
    });
  });

  it("names the call and the dtype it refuses", () => {
    expect(() => commBuffer({ address: 64, count: 3, dtype: "f16" }, "allReduce")).toThrow(
      "allReduce: dtype f16 is not supported, expected f32 or bf16",
    );
  });
});

describe("without the MPI binding", () => {
  const saved = process.env.NEOX_MPI_ADDON;
  afterEach(() => {
    if (saved === undefined) delete process.env.NEOX_MPI_ADDON;
    else process.env.NEOX_MPI_ADDON = saved;
  });

  it("says it was built without MPI and what to install", () => {
    process.env.NEOX_MPI_ADDON = "/nonexistent/neox_mpi.node";
    expect(() => nativeMpi()).toThrow(
      /^built without MPI: install libopenmpi-dev and rebuild .*\/nonexistent\/neox_mpi\.node \(missing\)/,
    );
  });
});
