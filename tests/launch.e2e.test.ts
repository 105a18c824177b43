// `neox train --dry-run` for runs of many processes, as a user runs it: the launch command and every
// rank's environment for num_gpus=2 on this machine, a hostfile (-H) with include, and a Slurm
// allocation (SLURM_* in the environment); the batch triple derived at the planned world size; and
// the refusals (training without --dry-run, pdsh across hosts) exit 1 with one clear line.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { runNeox } from "./helpers/run-neox";

const dir = mkdtempSync(join(tmpdir(), "neox-launch-e2e-"));
const LAUNCH_VARS = [
  "DLTS_HOSTFILE",
  "MASTER_ADDR",
  "SLURM_JOB_ID",
  "SLURM_JOBID",
  "SLURM_JOB_NODELIST",
  "SLURM_NODELIST",
  "SLURM_NTASKS",
  "SLURM_NTASKS_PER_NODE",
];
const saved = Object.fromEntries(LAUNCH_VARS.map((k) => [k, process.env[k]]));
// runNeox passes process.env on: each test starts from an environment without launcher variables
beforeEach(() => {
  for (const k of LAUNCH_VARS) delete process.env[k];
});
afterAll(() => {
  for (const k of LAUNCH_VARS) if (saved[k] !== undefined) process.env[k] = saved[k];
  rmSync(dir, { recursive: true, force: true });
});

const model = join(dir, "model.yml");
writeFileSync(
  model,
  [
    "num_layers: 2",
    "hidden_size: 64",
    "num_attention_heads: 4",
    "seq_length: 32",
    "max_position_embeddings: 32",
    "tokenizer_type: CharLevelTokenizer",
    "train_micro_batch_size_per_gpu: 2",
    "gradient_accumulation_steps: 3",
    "train_iters: 10",
    `save: ${join(dir, "ckpt")}`,
    "checkpoint_factor: 100",
    "",
  ].join("\n"),
);
const hosts = join(dir, "hosts");
writeFileSync(hosts, "# two machines\nnode-a slots=4\nnode-b slots=4\n");

/** The shell line after "command:" and the per-rank lines of the dry-run output. */
function launchSection(stdout: string) {
  const lines = stdout.split("\n");
  const at = lines.indexOf("command:");
  expect(at).toBeGreaterThan(0);
  return { command: lines[at + 1]!.trim(), ranks: lines.filter((l) => /^ {2}rank \d+ on /.test(l)) };
}

describe("neox train --dry-run with more than one process", () => {
  it("num_gpus=2: mpirun on this machine with this user's flags, two ranks, the batch at data parallel 2", () => {
    const r = runNeox(["train", model, "--set", "num_gpus=2", "--dry-run"]);
    expect(r.stderr).not.toContain("neox train:");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("launch: 2 processes on this machine through mpirun\n");
    // train_batch_size = micro 2 × accumulation 3 × data parallel 2
    expect(r.stdout).toContain(`train_batch_size ${2 * 3 * 2} × seq_length 32`);
    const { command, ranks } = launchSection(r.stdout);
    const root = process.getuid?.() === 0;
    const flags = [
      "mpirun -np 2",
      root ? " --allow-run-as-root" : "",
      2 > availableParallelism() ? " --oversubscribe" : "",
    ];
    expect(
      command.startsWith(
        `${flags.join("")} --bind-to none -x MASTER_ADDR=127.0.0.1 -x MASTER_PORT=29500 -x NEOX_RESOLVED_CONFIG=`,
      ),
    ).toBe(true);
    // the config path every rank gets is under save/launch, and the worker command is `neox train <that path>`
    const cfg = /NEOX_RESOLVED_CONFIG=(\S+)/.exec(command)![1]!;
    expect(cfg.startsWith(join(dir, "ckpt", "launch", "resolved-config-"))).toBe(true);
    expect(command.endsWith(`apps/cli/src/bin.ts train ${cfg}`)).toBe(true);
    expect(ranks).toEqual(
      [0, 1].map(
        (i) =>
          `  rank ${i} on localhost: RANK=${i} LOCAL_RANK=${i} WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 NEOX_RESOLVED_CONFIG=${cfg}`,
      ),
    );
  });

  it("-H with include and launcher openmpi: mpirun --host, world size and batch from the hostfile", () => {
    process.env.MASTER_ADDR = "head.example";
    const r = runNeox([
      "train",
      model,
      "-H",
      hosts,
      "--set",
      "launcher=openmpi",
      "--set",
      "include=node-a:0,1,2@node-b:3",
      "--dry-run",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("launch: 4 processes on 2 hosts through mpirun\n");
    expect(r.stdout).toContain(`train_batch_size ${2 * 3 * 4} × seq_length 32`);
    const { command, ranks } = launchSection(r.stdout);
    expect(command).toMatch(
      /^mpirun -np 4 --host node-a:3,node-b:1 .*-x MASTER_ADDR=head\.example -x MASTER_PORT=29500 /,
    );
    expect(
      ranks.map((l) => /rank (\d+) on (\S+): RANK=\d+ LOCAL_RANK=(\d+)/.exec(l)!.slice(1).join("/")),
    ).toEqual(["0/node-a/0", "1/node-a/1", "2/node-a/2", "3/node-b/0"]);
  });

  it("launcher: slurm inside an allocation: srun over the allocation's nodes", () => {
    Object.assign(process.env, {
      SLURM_JOB_ID: "77",
      SLURM_JOB_NODELIST: "cn[3-4]",
      SLURM_NTASKS_PER_NODE: "2",
    });
    const r = runNeox(["train", model, "--set", "launcher=slurm", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("launch: 4 processes on 2 nodes through srun\n");
    const { command, ranks } = launchSection(r.stdout);
    expect(command).toMatch(
      /^srun --nodes=2 --ntasks=4 --ntasks-per-node=2 --nodelist=cn3,cn4 --cpu-bind=none --export=ALL,MASTER_ADDR=cn3,MASTER_PORT=29500,NEOX_RESOLVED_CONFIG=/,
    );
    expect(ranks.map((l) => l.split(":")[0]!.trim())).toEqual([
      "rank 0 on cn3",
      "rank 1 on cn3",
      "rank 2 on cn4",
      "rank 3 on cn4",
    ]);
  });

  it("names the failing rank of a launched run, and refuses pdsh across hosts, with exit 1", () => {
    // launched for real (dp.e2e.test.ts trains this way); this model has no data, so rank 0 fails
    const train = runNeox(["train", model, "--set", "num_gpus=2"]);
    expect(train.code).toBe(1);
    expect(train.stderr).toMatch(/neox train: rank \d of 2 failed/);
    const pdsh = runNeox(["train", model, "--hostfile", hosts, "--dry-run"]);
    expect(pdsh.code).toBe(1);
    expect(pdsh.stderr).toContain(
      "neox train: launcher: pdsh (the default) cannot start ranks on 2 hosts yet",
    );
    const noAlloc = runNeox(["train", model, "--set", "launcher=slurm", "--dry-run"]);
    expect(noAlloc.code).toBe(1);
    expect(noAlloc.stderr).toContain("SLURM_JOB_ID is not set");
  });

  it("one process prints no launch section", () => {
    const r = runNeox(["train", model, "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("launch:");
    expect(r.stdout).toContain(`train_batch_size ${2 * 3} × seq_length 32`);
  });
});
