// A data-parallel job whose saving rank is killed at an arbitrary moment (SIGKILL from a thread of
// its own, so the kill may land inside a checkpoint write): the job ends within seconds with an
// error naming the rank, and the last complete checkpoint (the one `latest` names; an unfinished
// one is only a temporary directory) loads and training goes on from it at another layout.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { losses, runTrain, writeDpFixture } from "./helpers/dp";

const hasMpirun = spawnSync("mpirun", ["--version"], { encoding: "utf8" }).status === 0;
const dir = mkdtempSync(join(tmpdir(), "neox-dp-fault-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => writeDpFixture(dir));

describe.skipIf(!hasMpirun)("a data-parallel rank killed mid-run", () => {
  it("SIGKILL of rank 0 (the one that saves) ends the job, and the last complete checkpoint resumes", async () => {
    // a thread of rank 0 kills its process 5 s in, whatever the main thread is doing then (a
    // checkpoint is written every iteration, so often in the middle of one)
    const preload = join(dir, "kill-rank-0.mjs");
    writeFileSync(
      preload,
      [
        'import { Worker } from "node:worker_threads";',
        'if (process.env.OMPI_COMM_WORLD_RANK === "0") {',
        "  const body = \"const s = new Int32Array(new SharedArrayBuffer(4)); Atomics.wait(s, 0, 0, 5000); process.kill(process.pid, 'SIGKILL');\";",
        "  const w = new Worker(body, { eval: true });",
        "  w.unref();",
        "}",
        "",
      ].join("\n"),
    );
    const sets = ["num_gpus=2", "gradient_accumulation_steps=1", "checkpoint_factor=1"];
    const t0 = performance.now();
    const killed = await runTrain(dir, "killed", [...sets, "train_iters=100000"], {
      NODE_OPTIONS: `--import=${preload}`,
    });
    const seconds = (performance.now() - t0) / 1000;
    expect(killed.code, killed.stderr.slice(-3000)).not.toBe(0);
    expect(killed.stderr).toMatch(/neox train: rank 0 of 2 failed/);
    expect(seconds).toBeLessThan(30 + 10); // 5 s to the kill, then well under 30 s to the error
    const save = join(killed.out, "ckpt");
    expect(existsSync(join(save, "latest")), killed.stderr.slice(-2000)).toBe(true);
    const latest = readFileSync(join(save, "latest"), "utf8").trim();
    const step = Number(/^global_step(\d+)$/.exec(latest)?.[1]);
    expect(step).toBeGreaterThan(0);
    // what the kill left: complete checkpoints, and at most one unfinished write beside them
    const entries = readdirSync(save);
    expect(entries).toContain(latest);
    const done = losses(join(killed.out, "logs"));
    expect(done.length).toBeGreaterThanOrEqual(step);

    // resume from it on one process with the same global batch (gas 2), 3 more iterations
    const resumed = await runTrain(dir, "killed", [
      "num_gpus=1",
      "gradient_accumulation_steps=2",
      "checkpoint_factor=1000",
      `load=${save}`,
      `train_iters=${step + 3}`,
    ]);
    expect(resumed.code, resumed.stderr.slice(-3000)).toBe(0);
    expect(resumed.stderr).toContain(latest);
    const after = losses(join(resumed.out, "logs"));
    const tail = after.slice(-3);
    expect(tail.every(Number.isFinite)).toBe(true);
    // the first resumed iteration's loss continues the run: close to the killed run's last losses,
    // far below the untrained model's (about ln 512)
    expect(tail[0]!).toBeLessThan(done[0]!);
  }, 180_000);
});
