// Data-parallel training as a user runs it: `neox train` with num_gpus: 2 starts two ranks under a
// real mpirun. Two ranks at gradient_accumulation_steps 1 read the same samples per iteration as one
// process at gas 2 (GPT-NeoX's sampler: rank r takes the r-th micro-batch slice of each global
// batch), so 10 iterations of both give the same losses and the same final weights up to float
// rounding (the all-reduce sums in another order than the accumulation); validation losses too.
// ZeRO stages 1 and 2 (zero_optimization.stage) against the same references, stage 1 resumed from
// its checkpoint; small gradient buckets reduced while the backward runs (overlap_comm) in several
// of them, so buckets crossing the shards unevenly are covered. A SIGINT stops every rank at one iteration with rank 0's checkpoint, and a rank that
// fails mid-run ends the whole job within seconds, named, with its last lines of stderr.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { losses, maxAbsDiff, maxScaledDiff, runTrain, tensors, writeDpFixture } from "./helpers/dp";
import { spawnNeox } from "./helpers/spawn-neox";

const hasMpirun = spawnSync("mpirun", ["--version"], { encoding: "utf8" }).status === 0;
const dir = mkdtempSync(join(tmpdir(), "neox-dp-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => writeDpFixture(dir));

const run = (name: string, sets: string[], env: Record<string, string> = {}) =>
  runTrain(dir, name, sets, env);

describe.skipIf(!hasMpirun)("neox train with two data-parallel ranks under mpirun", () => {
  /** 10 iterations at 2 ranks × gas 1 and at 1 process × gas 2, then both runs' losses and checkpoints. */
  async function pair(name: string, optimizer: string, zero = "{stage: 0}", ranks = 2, extra: string[] = []) {
    const dp = await run(`${name}-dp${ranks}`, [
      `num_gpus=${ranks}`,
      "gradient_accumulation_steps=1",
      "train_iters=10",
      "eval_interval=5",
      "eval_iters=2",
      optimizer,
      `zero_optimization=${zero}`,
      ...extra,
    ]);
    expect(dp.code, dp.stderr.slice(-3000)).toBe(0);
    const one = await run(`${name}-dp1`, [
      "num_gpus=1",
      `gradient_accumulation_steps=${ranks}`,
      "train_iters=10",
      "eval_interval=5",
      "eval_iters=2",
      optimizer,
      ...extra,
    ]);
    expect(one.code, one.stderr.slice(-3000)).toBe(0);
    // rank 0's console lines came through the launcher, once; the other rank printed none
    expect(dp.stdout.match(/ iteration\s+10\//g)?.length, dp.stdout.slice(-2000)).toBe(1);
    expect(dp.stdout).not.toMatch(/<std(out|err)>:/);
    const a = losses(join(dp.out, "logs"));
    const b = losses(join(one.out, "logs"));
    expect(a.length).toBe(10);
    expect(b.length).toBe(10);
    for (let i = 0; i < 10; i++)
      expect(Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!), `iteration ${i + 1}`).toBeLessThan(1e-6);
    // validation: each rank its slice of the same global batches, the mean over the ranks
    const va = losses(join(dp.out, "logs"), "validation/lm_loss");
    const vb = losses(join(one.out, "logs"), "validation/lm_loss");
    expect(va.length).toBe(2);
    expect(vb.length).toBe(2);
    for (let i = 0; i < 2; i++) expect(Math.abs(va[i]! - vb[i]!) / vb[i]!).toBeLessThan(1e-6);
    // the run learned something, so equal losses are not two untouched models
    expect(Math.min(...a.slice(5))).toBeLessThan(a[0]!);
    const at = (r: { out: string }, file: string) => tensors(join(r.out, "ckpt", "global_step10", file));
    return {
      stderr: dp.stderr,
      weights: [at(dp, "model.safetensors"), at(one, "model.safetensors")] as const,
      state: [at(dp, "optim/state.safetensors"), at(one, "optim/state.safetensors")] as const,
    };
  }

  it("SGD with momentum: 2 ranks at gas 1 equal 1 process at gas 2 on the same samples, losses and weights within 1e-6", async () => {
    // 1000-element buckets all-reduced as the backward completes them
    const zero = "{stage: 0, overlap_comm: true, reduce_bucket_size: 1000}";
    const r = await pair("sgd", "optimizer={type: SGD, params: {lr: 0.05, momentum: 0.9}}", zero);
    expect(r.stderr).toMatch(
      /data parallel: \d{2,} gradient bucket\(s\) of up to 1000 elements, reduced as the backward completes them/,
    );
    // each element against its tensor's largest entry: a weight passing near zero keeps the
    // absolute rounding of the whole tensor, which an element-wise ratio would inflate
    expect(maxScaledDiff(...r.weights)).toBeLessThan(1e-6);
    expect(maxScaledDiff(...r.state)).toBeLessThan(1e-6);
  }, 240_000);

  it("Adam: the same losses within 1e-6; weights within 1e-5 (Adam turns rounding noise into steps)", async () => {
    // Adam divides by sqrt(v): where a gradient is zero in exact arithmetic (the attention key bias:
    // softmax ignores a constant added to a row's scores) the two runs' different rounding becomes
    // lr-sized steps in different directions, so a few elements differ by ~1e-6 after 10 steps
    const r = await pair("adam", "optimizer={type: Adam, params: {lr: 0.003}}");
    expect(maxAbsDiff(...r.weights)).toBeLessThan(1e-5);
  }, 240_000);

  it("ZeRO stage 1, SGD with momentum: 3 ranks at gas 1 equal 1 process at gas 3, losses, weights and momentum within 1e-6", async () => {
    // 3 ranks on this machine's 2 cores (--oversubscribe); with learned position embeddings the
    // parameter count is not a multiple of 3, so the last rank's shard holds the rest (reduced and
    // gathered apart)
    const sgd = "optimizer={type: SGD, params: {lr: 0.05, momentum: 0.9}}";
    const r = await pair("z1-sgd", sgd, "{stage: 1}", 3, ["pos_emb=learned"]);
    const m = /ZeRO stage 1: the optimizer state of (\d+) parameters is sharded over 3 ranks/.exec(r.stderr);
    expect(m, r.stderr.slice(-2000)).not.toBeNull();
    expect(Number(m![1]) % 3).not.toBe(0);
    expect(maxScaledDiff(...r.weights)).toBeLessThan(1e-6);
    expect(maxScaledDiff(...r.state)).toBeLessThan(1e-6);
  }, 240_000);

  it("ZeRO stage 2, SGD with momentum: 3 ranks at gas 1 equal 1 process at gas 3, overlapped buckets crossing the shards", async () => {
    const sgd = "optimizer={type: SGD, params: {lr: 0.05, momentum: 0.9}}";
    const zero = "{stage: 2, overlap_comm: true, reduce_bucket_size: 777}";
    const r = await pair("z2-sgd", sgd, zero, 3, ["pos_emb=learned"]);
    expect(r.stderr).toMatch(
      /ZeRO stage 2: the optimizer state and gradients of \d+ parameters are sharded over 3 ranks/,
    );
    expect(maxScaledDiff(...r.weights)).toBeLessThan(1e-6);
    expect(maxScaledDiff(...r.state)).toBeLessThan(1e-6);
  }, 240_000);

  it("ZeRO stage 2 with gradient accumulation (each micro-batch reduced into the shard) against stage 0, Adam", async () => {
    const sets = (zero: string) => [
      "num_gpus=2",
      "gradient_accumulation_steps=2",
      "train_iters=10",
      "optimizer={type: Adam, params: {lr: 0.003}}",
      `zero_optimization=${zero}`,
    ];
    const z0 = await run("z0-gas2", sets("{stage: 0}"));
    expect(z0.code, z0.stderr.slice(-3000)).toBe(0);
    const z2 = await run("z2-gas2", sets("{stage: 2, overlap_comm: true, reduce_bucket_size: 2000}"));
    expect(z2.code, z2.stderr.slice(-3000)).toBe(0);
    const a = losses(join(z2.out, "logs"));
    const b = losses(join(z0.out, "logs"));
    expect(a.length).toBe(10);
    // the mean over ranks of each micro-batch, summed, against the sum over micro-batches averaged
    for (let i = 0; i < 10; i++)
      expect(Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!), `iteration ${i + 1}`).toBeLessThan(1e-6);
    const at = (r: { out: string }, file: string) => tensors(join(r.out, "ckpt", "global_step10", file));
    expect(maxAbsDiff(at(z2, "model.safetensors"), at(z0, "model.safetensors"))).toBeLessThan(1e-5);
    expect(maxAbsDiff(at(z2, "optim/state.safetensors"), at(z0, "optim/state.safetensors"))).toBeLessThan(
      1e-5,
    );
  }, 240_000);

  it("ZeRO stage 1 against stage 0 at 2 ranks with Adam: losses within 1e-6, weights within 1e-5, full moments saved", async () => {
    const adam = "optimizer={type: Adam, params: {lr: 0.003}}";
    const sets = (stage: number) => [
      "num_gpus=2",
      "gradient_accumulation_steps=1",
      "train_iters=10",
      adam,
      `zero_optimization={stage: ${stage}}`,
    ];
    const z0 = await run("z0-adam", sets(0));
    expect(z0.code, z0.stderr.slice(-3000)).toBe(0);
    const z1 = await run("z1-adam", sets(1));
    expect(z1.code, z1.stderr.slice(-3000)).toBe(0);
    const a = losses(join(z1.out, "logs"));
    const b = losses(join(z0.out, "logs"));
    expect(a.length).toBe(10);
    for (let i = 0; i < 10; i++)
      expect(Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!), `iteration ${i + 1}`).toBeLessThan(1e-6);
    const at = (r: { out: string }, file: string) => tensors(join(r.out, "ckpt", "global_step10", file));
    // the global norm comes from the shards' norms (other rounding than stage 0's one pass), and
    // Adam turns the rounding into steps where the gradient is zero in exact arithmetic (see above)
    expect(z1.stderr).toMatch(/ZeRO stage 1: the optimizer state/);
    expect(z0.stderr).not.toMatch(/ZeRO stage 1/);
    expect(maxAbsDiff(at(z1, "model.safetensors"), at(z0, "model.safetensors"))).toBeLessThan(1e-5);
    // both moments of every parameter, gathered from the two shards into full tensors
    const s1 = at(z1, "optim/state.safetensors");
    const s0 = at(z0, "optim/state.safetensors");
    expect([...s1.keys()].filter((k) => k.startsWith("exp_avg_sq.")).length).toBeGreaterThan(10);
    expect(maxAbsDiff(s1, s0)).toBeLessThan(1e-5);
  }, 240_000);

  it("ZeRO stage 1 resumed at iteration 5 ends where the straight 10 iterations end (each rank loads its shard)", async () => {
    const sets = [
      "num_gpus=2",
      "gradient_accumulation_steps=1",
      "train_iters=10",
      "optimizer={type: Adam, params: {lr: 0.003}}",
      "zero_optimization={stage: 1}",
    ];
    const straight = await run("z1-straight", sets);
    expect(straight.code, straight.stderr.slice(-3000)).toBe(0);
    const first = await run("z1-resumed", [...sets, "exit_interval=5"]);
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    const ckpt = join(first.out, "ckpt");
    const second = await run("z1-resumed", [...sets, `load=${ckpt}`]);
    expect(second.code, second.stderr.slice(-3000)).toBe(0);
    expect(second.stderr).toMatch(/global_step5/);
    const a = losses(join(straight.out, "logs"));
    const b = losses(join(second.out, "logs")); // the first run's 5 lines, then the resumed run's
    expect(b.length).toBe(10);
    for (let i = 0; i < 10; i++)
      expect(Math.abs(a[i]! - b[i]!) / Math.abs(a[i]!), `iteration ${i + 1}`).toBeLessThan(1e-6);
    const at = (r: { out: string }, file: string) => tensors(join(r.out, "ckpt", "global_step10", file));
    expect(maxScaledDiff(at(second, "model.safetensors"), at(straight, "model.safetensors"))).toBeLessThan(
      1e-6,
    );
    expect(
      maxScaledDiff(at(second, "optim/state.safetensors"), at(straight, "optim/state.safetensors")),
    ).toBeLessThan(1e-6);
  }, 240_000);

  it("SIGINT to neox train reaches every rank (as SIGUSR2 through mpirun): they stop at one iteration, rank 0 saves, exit 130", async () => {
    const out = join(dir, "sigint");
    const logs = join(out, "logs");
    const save = join(out, "ckpt");
    const run = spawnNeox([
      "train",
      join(dir, "model.yml"),
      ...["--set", "num_gpus=2", "--set", "gradient_accumulation_steps=1", "--set", "train_iters=100000"],
      ...["--set", `save=${save}`, "--set", `log_dir=${logs}`],
    ]);
    const deadline = Date.now() + 60_000;
    const trained = () => existsSync(join(logs, "metrics.jsonl")) && losses(logs).length >= 3;
    while (!trained() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    run.child.kill("SIGINT");
    const f = await run.done;
    expect(f.code, f.stderr.slice(-3000)).toBe(130);
    const m = /stopped after iteration (\d+); checkpoint (\S+)/.exec(f.stderr);
    expect(m, f.stderr.slice(-3000)).not.toBeNull();
    expect(m![2]).toBe(join(save, `global_step${m![1]}`));
    expect(readFileSync(join(save, "latest"), "utf8").trim()).toBe(`global_step${m![1]}`);
    expect(f.stderr).not.toMatch(/failed/);
    // the progress bar's \r pieces came through without mpirun's tags
    expect(f.stdout).toContain(`iteration ${m![1]} | checkpoint: saved`);
    expect(f.stdout).not.toMatch(/<std(out|err)>:/);
  }, 120_000);

  it("a rank that exits 1 mid-run fails the job within seconds, naming the rank and its last stderr lines", async () => {
    // rank 1 dies 4 s into its life (rank 0 is then training, or waiting for it in an all-reduce)
    const preload = join(dir, "fail-rank-1.mjs");
    writeFileSync(
      preload,
      'if (process.env.OMPI_COMM_WORLD_RANK === "1") setTimeout(() => { process.stderr.write("injected failure on rank 1\\n"); process.exit(1); }, 4000);\n',
    );
    const t0 = performance.now();
    const r = await run("failing", ["num_gpus=2", "gradient_accumulation_steps=1", "train_iters=100000"], {
      NODE_OPTIONS: `--import=${preload}`,
    });
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr.slice(-3000)).not.toBe(0);
    expect(r.stderr).toContain("neox train: rank 1 of 2 failed (mpirun exit code 1)");
    expect(r.stderr).toMatch(/its last lines of stderr:\n(?:.*\n)*\s+injected failure on rank 1/);
    // 100000 iterations would take many minutes: the job ended because rank 1 did
    expect(seconds).toBeLessThan(60);
  }, 120_000);
});
