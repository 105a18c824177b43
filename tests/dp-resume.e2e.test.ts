// Resuming across data-parallel layouts: checkpoints hold full tensors (ZeRO-1/2 ranks gather their
// optimizer-state shards before rank 0 writes), so a run saved at one world size resumes at another
// as long as the global batch stays the same (ranks × gradient_accumulation_steps micro-batches).
// Each case stops a run by exit_interval at iteration 5, resumes it from that checkpoint at another
// layout to iteration 10, and compares iterations 6..10 and the final weights and momentum with a
// straight 10-iteration run. SGD with momentum keeps the weights comparable within 1e-6 (Adam turns
// the layouts' different rounding into lr-sized steps where a gradient is zero; see dp.e2e.test.ts).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { losses, maxScaledDiff, runTrain, tensors, writeDpFixture } from "./helpers/dp";

const hasMpirun = spawnSync("mpirun", ["--version"], { encoding: "utf8" }).status === 0;
const dir = mkdtempSync(join(tmpdir(), "neox-dp-resume-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => writeDpFixture(dir));

const SGD = "optimizer={type: SGD, params: {lr: 0.05, momentum: 0.9}}";

/** --set overrides for `ranks` processes at ZeRO `stage` with a global batch of `global` micro-batches. */
const layout = (ranks: number, stage: number, global: number) => [
  `num_gpus=${ranks}`,
  `gradient_accumulation_steps=${global / ranks}`,
  `zero_optimization={stage: ${stage}}`,
  "train_iters=10",
  SGD,
];

async function trained(name: string, sets: string[]) {
  const r = await runTrain(dir, name, sets);
  expect(r.code, `${name}: ${r.stderr.slice(-3000)}`).toBe(0);
  return r;
}

/** Stops `from` at iteration 5, resumes it at `to`, and checks iterations 6..10 against `straight`. */
async function resumeMatches(name: string, straight: string[], from: string[], to: string[]) {
  const ref = await trained(`${name}-straight`, straight);
  const first = await trained(`${name}-resumed`, [...from, "exit_interval=5"]);
  expect(losses(join(first.out, "logs")).length).toBe(5);
  const second = await trained(`${name}-resumed`, [...to, `load=${join(first.out, "ckpt")}`]);
  expect(second.stderr).toMatch(/global_step5/);
  const a = losses(join(ref.out, "logs"));
  const b = losses(join(second.out, "logs")); // the first run's 5 lines, then the resumed run's
  expect(a.length).toBe(10);
  expect(b.length).toBe(10);
  for (let i = 0; i < 10; i++)
    expect(Math.abs(b[i]! - a[i]!) / Math.abs(a[i]!), `iteration ${i + 1}`).toBeLessThan(1e-6);
  // the run learned something after the resume, so equal losses are not two untouched models
  expect(Math.min(...b.slice(5))).toBeLessThan(b[0]!);
  const at = (r: { out: string }, file: string) => tensors(join(r.out, "ckpt", "global_step10", file));
  expect(maxScaledDiff(at(second, "model.safetensors"), at(ref, "model.safetensors"))).toBeLessThan(1e-6);
  const state = at(second, "optim/state.safetensors");
  expect(state.size).toBeGreaterThan(10);
  expect(maxScaledDiff(state, at(ref, "optim/state.safetensors"))).toBeLessThan(1e-6);
  return { first, second };
}

describe.skipIf(!hasMpirun)("neox train resumed at another data-parallel size", () => {
  it("ZeRO-1 at 2 ranks stopped at 5, resumed at 1 process (gas 2): iterations 6..10 and the weights equal a straight 2-rank run's within 1e-6", async () => {
    const r = await resumeMatches("2to1", layout(2, 1, 2), layout(2, 1, 2), layout(1, 0, 2));
    expect(r.first.stderr).toMatch(
      /ZeRO stage 1: the optimizer state of \d+ parameters is sharded over 2 ranks/,
    );
    expect(r.second.stderr).not.toMatch(/ZeRO stage 1/);
    // another global batch reads other samples per iteration: refused, naming both sizes
    const other = await runTrain(dir, "2to1-refused", [
      ...layout(1, 0, 1),
      `load=${join(r.second.out, "ckpt")}`,
      "train_iters=12",
    ]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(
      "saved with the global batch (train_micro_batch_size_per_gpu × gradient_accumulation_steps × data-parallel size) = 4, this run has 2",
    );
  }, 120_000);

  it("1 process (gas 4) stopped at 5, resumed at 4 ranks with ZeRO-1 (gas 1): iterations 6..10 and the weights equal a straight 1-process run's within 1e-6", async () => {
    // 4 ranks on this machine's 2 cores: the launch plan adds --oversubscribe
    const r = await resumeMatches("1to4", layout(1, 0, 4), layout(1, 0, 4), layout(4, 1, 4));
    expect(r.second.stderr).toMatch(
      /ZeRO stage 1: the optimizer state of \d+ parameters is sharded over 4 ranks/,
    );
  }, 120_000);

  it("ZeRO-2 at 2 ranks (gas 2: each micro-batch reduced into the shards) stopped at 5, resumed at ZeRO-1 over 4 ranks (gas 1)", async () => {
    const z2 = [
      ...layout(2, 2, 4),
      "zero_optimization={stage: 2, overlap_comm: true, reduce_bucket_size: 3000}",
    ];
    const r = await resumeMatches("2to4", z2, z2, layout(4, 1, 4));
    expect(r.first.stderr).toMatch(/ZeRO stage 2: the optimizer state and gradients of \d+ parameters/);
    expect(r.second.stderr).toMatch(
      /ZeRO stage 1: the optimizer state of \d+ parameters is sharded over 4 ranks/,
    );
  }, 120_000);
});
