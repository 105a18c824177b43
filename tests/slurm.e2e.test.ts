// `neox train` under a real single-node Slurm (Debian's slurm-wlm and munge, started by the test:
// helpers/slurm.ts). Inside `salloc --ntasks=2` the launch plan comes from the allocation's own
// SLURM_* variables, and the srun it plans starts Open MPI ranks that find each other through
// srun's PMIx server (--mpi=pmix): every collective of @neox/parallel checked across the two ranks.
// The same srun without PMIx fails in MPI_Init (Open MPI refuses a direct launch it cannot wire up),
// which is why the plan asks for it.
// `neox train` with launcher: slurm runs that srun: two ranks train to the losses of one process at
// twice the accumulation, and a rank that fails ends the step, named with its last stderr lines.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { losses, writeDpFixture } from "./helpers/dp";
import { REPO_ROOT } from "./helpers/run-neox";
import { missingSlurm, type SlurmCluster, salloc, startSlurm } from "./helpers/slurm";

const missing = missingSlurm();
if (missing) console.warn(`slurm.e2e: skipped, ${missing}`);

const TSX = resolve(REPO_ROOT, "node_modules/tsx/dist/loader.mjs");
const NEOX = [
  process.execPath,
  "--conditions=@neox/source",
  "--import",
  TSX,
  join(REPO_ROOT, "apps/cli/src/bin.ts"),
];

/** The command line of a --dry-run's launch section, split back into arguments by sh. */
function plannedCommand(stdout: string): string[] {
  const m = /\ncommand:\n {2}(.*)\n/.exec(stdout);
  expect(m, stdout).not.toBeNull();
  const r = spawnSync("sh", ["-c", `for a in ${m![1]}; do printf '%s\\0' "$a"; done`], { encoding: "utf8" });
  return r.stdout.split("\0").slice(0, -1);
}

describe.skipIf(missing !== null)("neox train under a real single-node Slurm", () => {
  let cluster: SlurmCluster;
  let dir = "";
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "neox-slurm-e2e-"));
    writeDpFixture(dir);
    cluster = await startSlurm();
  }, 40_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  const train = (tasks: number, sets: string[], extra: string[] = []) =>
    salloc(cluster, tasks, [
      ...NEOX,
      "train",
      join(dir, "model.yml"),
      ...sets.flatMap((s) => ["--set", s]),
      ...extra,
    ]);

  it("inside salloc --ntasks=2, --dry-run plans srun over this node from the allocation's SLURM_*", async () => {
    const r = await train(2, ["launcher=slurm", "train_iters=10", `save=${join(dir, "dry")}`], ["--dry-run"]);
    expect(r.code, r.stderr + cluster.logs()).toBe(0);
    // no num_gpus: the task count is the allocation's (SLURM_NTASKS, set by salloc)
    expect(r.stdout).toContain("launch: 2 processes on 1 nodes through srun\n");
    expect(r.stdout).toMatch(new RegExp(`\\n {2}Slurm job \\d+ on ${cluster.node}\\n`));
    const cmd = plannedCommand(r.stdout);
    expect(cmd.slice(0, 6)).toEqual([
      "srun",
      "--nodes=1",
      "--ntasks=2",
      "--ntasks-per-node=2",
      `--nodelist=${cluster.node}`,
      "--cpu-bind=none",
    ]);
    expect(cmd).toContain("--mpi=pmix");
    expect(cmd).toContain("--kill-on-bad-exit=1");
    expect(r.stdout).toContain(`rank 1 on ${cluster.node}: RANK=1 LOCAL_RANK=1 WORLD_SIZE=2`);
  }, 60_000);

  /** The planned srun (a --dry-run inside the allocation) with @neox/parallel's collectives worker as the ranks. */
  async function plannedSrun(): Promise<string[]> {
    const r = await train(2, ["launcher=slurm", "train_iters=10", `save=${join(dir, "dry")}`], ["--dry-run"]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const cmd = plannedCommand(r.stdout);
    const worker = cmd.indexOf(process.execPath);
    expect(worker, cmd.join(" ")).toBeGreaterThan(0);
    return cmd.slice(0, worker);
  }
  const COLLECTIVES = [
    NEOX[0]!,
    NEOX[1]!,
    NEOX[2]!,
    NEOX[3]!,
    join(REPO_ROOT, "packages/parallel/test/workers/collectives.ts"),
  ];
  const reports = (stdout: string) =>
    stdout
      .split("\n")
      .filter((l) => l.startsWith("REPORT "))
      .map(
        (l) =>
          JSON.parse(l.slice("REPORT ".length)) as {
            rank: number;
            size: number;
            checks: Record<string, string>;
          },
      )
      .sort((a, b) => a.rank - b.rank);

  it("the planned srun starts 2 Open MPI ranks that find each other through PMIx: every collective checks out", async () => {
    const srun = await plannedSrun();
    const r = await salloc(cluster, 2, [...srun, ...COLLECTIVES]);
    expect(r.code, r.stdout.slice(-2000) + r.stderr.slice(-3000)).toBe(0);
    const got = reports(r.stdout);
    expect(got.map((g) => `${g.rank}/${g.size}`)).toEqual(["0/2", "1/2"]);
    for (const g of got) {
      expect(Object.keys(g.checks).length).toBeGreaterThan(5);
      for (const [name, result] of Object.entries(g.checks))
        expect(result, `rank ${g.rank}: ${name}`).toBe("ok");
    }
  }, 60_000);

  it("the same srun without PMIx (--mpi=none) cannot start them: Open MPI refuses a direct launch it cannot wire", async () => {
    const srun = (await plannedSrun()).map((a) => (a === "--mpi=pmix" ? "--mpi=none" : a));
    expect(srun).toContain("--mpi=none");
    const r = await salloc(cluster, 2, [...srun, ...COLLECTIVES]);
    expect(r.code).not.toBe(0);
    expect(reports(r.stdout)).toEqual([]);
    expect(r.stderr).toContain('The application appears to have been direct launched using "srun"');
  }, 60_000);

  it("trains 2 ranks through srun: the losses of 1 process at gradient_accumulation_steps 2, within 1e-6", async () => {
    const sgd = "optimizer={type: SGD, params: {lr: 0.05, momentum: 0.9}}";
    const at = (name: string) => [`save=${join(dir, name, "ckpt")}`, `log_dir=${join(dir, name, "logs")}`];
    // launcher: slurm and no num_gpus: the 2 ranks are the allocation's 2 tasks
    const r = await train(2, [
      "launcher=slurm",
      "gradient_accumulation_steps=1",
      "train_iters=10",
      sgd,
      ...at("srun"),
    ]);
    expect(r.code, r.stderr.slice(-3000) + cluster.logs()).toBe(0);
    const one = await train(1, ["gradient_accumulation_steps=2", "train_iters=10", sgd, ...at("one")]);
    expect(one.code, one.stderr.slice(-3000)).toBe(0);
    // rank 0's console lines came through once, without srun's labels
    expect(r.stdout.match(/ iteration\s+10\//g)?.length, r.stdout.slice(-2000)).toBe(1);
    expect(r.stdout).not.toMatch(/^\s*\d+: /m);
    expect(r.stderr).toMatch(/parallel layout\s+pipe 1 × model 1 × data 2/);
    const a = losses(join(dir, "srun", "logs"));
    const b = losses(join(dir, "one", "logs"));
    expect(a.length).toBe(10);
    expect(b.length).toBe(10);
    for (let i = 0; i < 10; i++)
      expect(Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!), `iteration ${i + 1}`).toBeLessThan(1e-6);
    expect(Math.min(...a.slice(5))).toBeLessThan(a[0]!);
    expect(readFileSync(join(dir, "srun", "ckpt", "latest"), "utf8").trim()).toBe("global_step10");
  }, 60_000);

  it("a rank that exits 1 mid-run ends the srun step within seconds, naming the rank and its last stderr lines", async () => {
    const preload = join(dir, "fail-rank-1.mjs");
    writeFileSync(
      preload,
      'if (process.env.SLURM_PROCID === "1" && process.env.NEOX_RESOLVED_CONFIG) setTimeout(() => { process.stderr.write("injected failure on rank 1\\n"); process.exit(1); }, 4000);\n',
    );
    const t0 = performance.now();
    const r = await salloc(
      cluster,
      2,
      [...NEOX, "train", join(dir, "model.yml"), "--set", "launcher=slurm", "--set", "train_iters=100000"],
      { NODE_OPTIONS: `--import=${preload}` },
    );
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr.slice(-3000)).not.toBe(0);
    // srun reports the task that exited 1, then ends with 143: it terminated the other task
    expect(r.stderr).toMatch(/neox train: rank 1 of 2 failed \(srun exit code \d+\)/);
    expect(r.stderr).toMatch(/its last lines of stderr:\n(?:.*\n)*\s+injected failure on rank 1/);
    expect(seconds).toBeLessThan(40);
  }, 60_000);
});
