// Launch plans from GPT-NeoX's launcher keys: the exact mpirun/srun command and what each rank's
// environment holds, for a local run (root or not, more ranks than cores or not), a hostfile with
// include/exclude/num_nodes, a Slurm allocation (a fake SLURM_* environment), and refusals.
import { describe, expect, it } from "vitest";
import { type LaunchOptions, planLaunch } from "../src/index";

const WORKER = ["/usr/bin/node", "/repo/apps/cli/src/bin.ts", "train", "/run/cfg.json"];
const CFG = "/run/cfg.json";
const HOSTFILES: Record<string, string> = {
  "/etc/hosts.neox": "node-a slots=2\nnode-b slots=2\nnode-c slots=2\n",
  "/job/hostfile": "job-0 slots=3\n",
  "/one-host": "localhost slots=3\n",
  "/uneven": "s1 slots=2\ns2 slots=1\n",
};
const opts = (o: Partial<LaunchOptions> = {}): LaunchOptions => ({
  env: {},
  worker: WORKER,
  configPath: CFG,
  cpus: 16,
  isRoot: false,
  readFile: (p) => {
    const t = HOSTFILES[p];
    if (t === undefined) throw new Error(`ENOENT: no such file, open '${p}'`);
    return t;
  },
  ...o,
});
const SHARED = [
  "-x",
  "MASTER_ADDR=127.0.0.1",
  "-x",
  "MASTER_PORT=29500",
  "-x",
  `NEOX_RESOLVED_CONFIG=${CFG}`,
];

describe("a single process", () => {
  it("plans no launcher when nothing asks for more than one process", () => {
    expect(planLaunch({}, opts()).kind).toBe("single");
    expect(planLaunch({ num_gpus: 1, launcher: "pdsh" }, opts()).kind).toBe("single");
    expect(planLaunch({ hostfile: "/j", num_gpus: 1 }, opts({ readFile: () => "h slots=4\n" })).kind).toBe(
      "single",
    );
  });
});

describe("local: num_gpus processes on this machine", () => {
  it("non-root with enough cores: mpirun -np N --bind-to none and -x for the shared variables", () => {
    const p = planLaunch({ num_gpus: 2 }, opts());
    expect(p.kind).toBe("local");
    expect(p.command).toEqual(["mpirun", "-np", "2", "--bind-to", "none", ...SHARED, ...WORKER]);
    expect(p.ranks.map((r) => r.env)).toEqual(
      [0, 1].map((r) => ({
        RANK: String(r),
        LOCAL_RANK: String(r),
        WORLD_SIZE: "2",
        MASTER_ADDR: "127.0.0.1",
        MASTER_PORT: "29500",
        NEOX_RESOLVED_CONFIG: CFG,
      })),
    );
  });

  it("root adds --allow-run-as-root; more ranks than cores add --oversubscribe", () => {
    const root = planLaunch({ num_gpus: 2 }, opts({ isRoot: true, cpus: 2 })).command;
    expect(root.slice(0, 6)).toEqual(["mpirun", "-np", "2", "--allow-run-as-root", "--bind-to", "none"]);
    const over = planLaunch({ num_gpus: 4 }, opts({ isRoot: true, cpus: 2 })).command;
    expect(over.slice(0, 7)).toEqual([
      "mpirun",
      "-np",
      "4",
      "--allow-run-as-root",
      "--oversubscribe",
      "--bind-to",
      "none",
    ]);
    const atCores = planLaunch({ num_gpus: 2 }, opts({ cpus: 2 })).command;
    expect(atCores).not.toContain("--oversubscribe");
  });

  it("num_nodes > 1 without a hostfile or Slurm is refused", () => {
    expect(() => planLaunch({ num_gpus: 2, num_nodes: 2 }, opts())).toThrow("num_nodes: 2 needs a hostfile");
  });

  it("launcher: pdsh (the default) still runs one node locally, as DeepSpeed does", () => {
    expect(planLaunch({ num_gpus: 3, launcher: "pdsh" }, opts()).kind).toBe("local");
  });
});

describe("hostfile", () => {
  it("openmpi: --host h:n for the hosts include keeps, ranks host by host, master the first host", () => {
    const p = planLaunch(
      { launcher: "openmpi", hostfile: "/etc/hosts.neox", include: "node-c@node-a:1" },
      opts({ isRoot: true }),
    );
    expect(p.kind).toBe("hosts");
    expect(p.command).toEqual([
      "mpirun",
      "-np",
      "3",
      "--host",
      "node-a:1,node-c:2",
      "--allow-run-as-root",
      "--bind-to",
      "none",
      "-x",
      "MASTER_ADDR=node-a",
      "-x",
      "MASTER_PORT=29500",
      "-x",
      `NEOX_RESOLVED_CONFIG=${CFG}`,
      ...WORKER,
    ]);
    expect(p.ranks.map((r) => [r.host, r.env.RANK, r.env.LOCAL_RANK, r.env.WORLD_SIZE])).toEqual([
      ["node-a", "0", "0", "3"],
      ["node-c", "1", "0", "3"],
      ["node-c", "2", "1", "3"],
    ]);
  });

  it("exclude and num_nodes, with num_gpus dropped and said so", () => {
    const p = planLaunch(
      {
        launcher: "openmpi",
        hostfile: "/etc/hosts.neox",
        exclude: "node-a",
        num_nodes: 1,
        num_gpus: 1,
        force_multi: true,
      },
      opts(),
    );
    expect(p.command.slice(0, 5)).toEqual(["mpirun", "-np", "2", "--host", "node-b:2"]);
    expect(p.notes.join("\n")).toContain("num_gpus is dropped because include/exclude is given");
  });

  it("$DLTS_HOSTFILE overrides the hostfile key, as in GPT-NeoX", () => {
    const p = planLaunch(
      { launcher: "openmpi", hostfile: "/one-host" },
      opts({ env: { DLTS_HOSTFILE: "/etc/hosts.neox" } }),
    );
    expect(p.worldSize).toBe(6);
    expect(p.notes[0]).toContain("from $DLTS_HOSTFILE (it overrides hostfile: /one-host");
  });

  it("DeepSpeed's /job/hostfile counts only when it exists", () => {
    expect(planLaunch({}, opts({ fileExists: () => false })).kind).toBe("single");
    const p = planLaunch({}, opts({ fileExists: (f) => f === "/job/hostfile", cpus: 2 }));
    expect([p.kind, p.worldSize, p.command.includes("--oversubscribe")]).toEqual(["local", 3, true]);
  });

  it("one host without force_multi runs locally (no --host)", () => {
    const p = planLaunch({ launcher: "openmpi", hostfile: "/one-host" }, opts());
    expect(p.kind).toBe("local");
    expect(p.command.slice(0, 3)).toEqual(["mpirun", "-np", "3"]);
    expect(p.command).not.toContain("--host");
  });

  it("refuses pdsh across hosts, a missing hostfile, and an unknown include host", () => {
    expect(() => planLaunch({ hostfile: "/etc/hosts.neox" }, opts())).toThrow(
      /launcher: pdsh \(the default\) cannot start ranks on 3 hosts yet: pdsh launching waits for the NCCL backend/,
    );
    expect(() => planLaunch({ hostfile: "/nope", launcher: "openmpi" }, opts())).toThrow(
      "hostfile /nope: cannot read it (ENOENT",
    );
    expect(() =>
      planLaunch({ hostfile: "/etc/hosts.neox", include: "node-z", launcher: "openmpi" }, opts()),
    ).toThrow('include: host "node-z" is not in the hostfile /etc/hosts.neox');
  });
});

describe("master_addr and master_port", () => {
  it("$MASTER_ADDR wins over master_addr, which wins over the first host; master_port from the key", () => {
    const hf = { launcher: "openmpi", hostfile: "/etc/hosts.neox", master_port: 6000 };
    expect(planLaunch(hf, opts()).masterAddr).toBe("node-a");
    expect(planLaunch({ ...hf, master_addr: "10.0.0.9" }, opts()).masterAddr).toBe("10.0.0.9");
    const p = planLaunch({ ...hf, master_addr: "10.0.0.9" }, opts({ env: { MASTER_ADDR: "head" } }));
    expect([p.masterAddr, p.masterPort]).toEqual(["head", 6000]);
    expect(p.command).toContain("MASTER_ADDR=head");
    expect(p.ranks.every((r) => r.env.MASTER_ADDR === "head" && r.env.MASTER_PORT === "6000")).toBe(true);
  });
});

describe("Slurm", () => {
  const ALLOC = { SLURM_JOB_ID: "4242", SLURM_JOB_NODELIST: "gpu[07-09]", SLURM_NTASKS_PER_NODE: "2" };

  it("srun inside the allocation: every node, its task count, shared variables through --export", () => {
    const p = planLaunch({ launcher: "slurm", account: "proj", comment: "neox" }, opts({ env: ALLOC }));
    expect(p.kind).toBe("slurm");
    expect(p.command).toEqual([
      "srun",
      "--nodes=3",
      "--ntasks=6",
      "--ntasks-per-node=2",
      "--nodelist=gpu07,gpu08,gpu09",
      "--cpu-bind=none",
      "--comment=neox",
      "--account=proj",
      `--export=ALL,MASTER_ADDR=gpu07,MASTER_PORT=29500,NEOX_RESOLVED_CONFIG=${CFG}`,
      "--mpi=pmix",
      "--kill-on-bad-exit=1",
      ...WORKER,
    ]);
    expect(p.ranks.map((r) => `${r.host}/${r.env.RANK}/${r.env.LOCAL_RANK}`)).toEqual([
      "gpu07/0/0",
      "gpu07/1/1",
      "gpu08/2/0",
      "gpu08/3/1",
      "gpu09/4/0",
      "gpu09/5/1",
    ]);
    expect(p.rankSource).toContain("SLURM_PROCID, SLURM_LOCALID, SLURM_NTASKS");
  });

  it("deepspeed_slurm, num_nodes, num_gpus and exclude shape the srun", () => {
    const p = planLaunch(
      { deepspeed_slurm: true, num_nodes: 1, num_gpus: 4, exclude: "gpu07" },
      opts({ env: { SLURM_JOB_ID: "1", SLURM_JOB_NODELIST: "gpu[07-09]", SLURM_NTASKS: "6" } }),
    );
    expect(p.command.slice(0, 5)).toEqual([
      "srun",
      "--nodes=1",
      "--ntasks=4",
      "--ntasks-per-node=4",
      "--nodelist=gpu08",
    ]);
    expect(p.masterAddr).toBe("gpu08");
  });

  it("tasks per node from SLURM_NTASKS over the nodes when SLURM_NTASKS_PER_NODE is absent", () => {
    const p = planLaunch(
      { launcher: "slurm" },
      opts({ env: { SLURM_JOB_ID: "1", SLURM_JOB_NODELIST: "a,b", SLURM_NTASKS: "4" } }),
    );
    expect(p.command.slice(1, 4)).toEqual(["--nodes=2", "--ntasks=4", "--ntasks-per-node=2"]);
  });

  it("$SLURM_MPI_TYPE names srun's MPI plugin instead of --mpi=pmix", () => {
    const p = planLaunch({ launcher: "slurm" }, opts({ env: { ...ALLOC, SLURM_MPI_TYPE: "pmix_v4" } }));
    expect(p.command.filter((a) => a.startsWith("--mpi"))).toEqual([]);
    expect(p.notes).toContain("srun's MPI plugin pmix_v4 from $SLURM_MPI_TYPE");
    // the worker still comes last, after the launcher's own flags
    expect(p.command.slice(-WORKER.length - 1)).toEqual(["--kill-on-bad-exit=1", ...WORKER]);
  });

  it("refuses outside an allocation, slot ids in include, and uneven hostfile slots", () => {
    expect(() => planLaunch({ launcher: "slurm" }, opts())).toThrow("SLURM_JOB_ID is not set");
    expect(() => planLaunch({ launcher: "slurm", include: "gpu07:0" }, opts({ env: ALLOC }))).toThrow(
      "give hosts only",
    );
    expect(() => planLaunch({ launcher: "slurm", hostfile: "/uneven" }, opts({ env: ALLOC }))).toThrow(
      "srun starts the same number of tasks on every node, but /uneven gives s1:2, s2:1",
    );
  });
});
