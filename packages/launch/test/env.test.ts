// Reading launchers' variables: Slurm's compressed node lists and allocation, and a rank's identity
// from RANK/OMPI_COMM_WORLD_*/SLURM_* (each launcher's names, passed in as a fake environment).
import { describe, expect, it } from "vitest";
import { expandNodelist, rankFromEnv, slurmAllocation } from "../src/index";

describe("expandNodelist", () => {
  it("expands ranges and lists inside brackets, keeping zero padding and suffixes", () => {
    expect(expandNodelist("node[01-03,07],login1")).toEqual([
      "node01",
      "node02",
      "node03",
      "node07",
      "login1",
    ]);
    expect(expandNodelist("r[1-2]n[8-9]")).toEqual(["r1n8", "r1n9", "r2n8", "r2n9"]);
    expect(expandNodelist("gpu[9-10]-ib")).toEqual(["gpu9-ib", "gpu10-ib"]);
    expect(expandNodelist("single")).toEqual(["single"]);
  });

  it("names what it cannot read", () => {
    expect(() => expandNodelist("n[3-1]")).toThrow('SLURM_JOB_NODELIST: bad range "3-1"');
    expect(() => expandNodelist("n[a]")).toThrow('bad range "a"');
    expect(() => expandNodelist("n[1")).toThrow("cannot read");
  });
});

describe("slurmAllocation", () => {
  it("is null outside an allocation and reads the job inside one", () => {
    expect(slurmAllocation({ SLURM_NTASKS: "2" })).toBeNull();
    expect(slurmAllocation({ SLURM_JOB_ID: "7", SLURM_JOB_NODELIST: "a[1-2]", SLURM_NTASKS: "4" })).toEqual({
      jobId: "7",
      nodes: ["a1", "a2"],
      tasksPerNode: null,
      tasks: 4,
    });
  });

  it("refuses a job without a node list and non-numeric counts", () => {
    expect(() => slurmAllocation({ SLURM_JOB_ID: "7" })).toThrow("SLURM_JOB_NODELIST is not set");
    expect(() =>
      slurmAllocation({ SLURM_JOB_ID: "7", SLURM_NODELIST: "a", SLURM_NTASKS_PER_NODE: "2(x3)" }),
    ).toThrow('SLURM_NTASKS_PER_NODE: expected a whole number ≥ 1, got "2(x3)"');
  });
});

describe("rankFromEnv", () => {
  it("prefers RANK/LOCAL_RANK/WORLD_SIZE, then Open MPI's, then Slurm's, else rank 0 of 1", () => {
    expect(rankFromEnv({ RANK: "3", LOCAL_RANK: "1", WORLD_SIZE: "4", OMPI_COMM_WORLD_RANK: "0" })).toEqual({
      rank: 3,
      localRank: 1,
      worldSize: 4,
      source: "RANK",
    });
    expect(
      rankFromEnv({
        OMPI_COMM_WORLD_RANK: "2",
        OMPI_COMM_WORLD_LOCAL_RANK: "0",
        OMPI_COMM_WORLD_SIZE: "3",
        SLURM_PROCID: "9",
      }),
    ).toEqual({ rank: 2, localRank: 0, worldSize: 3, source: "OMPI_COMM_WORLD" });
    expect(rankFromEnv({ SLURM_PROCID: "5", SLURM_LOCALID: "1", SLURM_NTASKS: "6" })).toEqual({
      rank: 5,
      localRank: 1,
      worldSize: 6,
      source: "SLURM",
    });
    // deepspeed_slurm: WORLD_SIZE = SLURM_NNODES × SLURM_NTASKS_PER_NODE when SLURM_NTASKS is absent
    expect(
      rankFromEnv({ SLURM_PROCID: "5", SLURM_LOCALID: "1", SLURM_NNODES: "3", SLURM_NTASKS_PER_NODE: "2" })
        .worldSize,
    ).toBe(6);
    expect(rankFromEnv({})).toEqual({ rank: 0, localRank: 0, worldSize: 1, source: "none" });
  });

  it("refuses missing, malformed and inconsistent values", () => {
    expect(() => rankFromEnv({ RANK: "0" })).toThrow("WORLD_SIZE: expected a whole number ≥ 0, got nothing");
    expect(() => rankFromEnv({ RANK: "-1", WORLD_SIZE: "2" })).toThrow(
      'RANK: expected a whole number ≥ 0, got "-1"',
    );
    expect(() => rankFromEnv({ RANK: "2", WORLD_SIZE: "2" })).toThrow(
      "rank 2 (local 0) does not fit a world of 2",
    );
  });
});
