// What ZeRO saves, measured on 2 real ranks under mpirun (test/workers/zero-memory.ts): stage 1
// keeps half of Adam's two moments per rank and no copy of the shard (its parameters and gradient
// are views of the full buffers, reduced into and gathered from in place), so each rank's native
// allocations shrink by the moments' half, N fp32 values; stage 2 reduces each micro-batch's
// gradient buckets into the shard and hands the full gradient's pages back as it goes, so after a
// step almost none of that buffer is resident, where stage 1's is all resident. The three stages
// train the same losses.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PKG = fileURLToPath(new URL("..", import.meta.url));
const hasMpirun = spawnSync("mpirun", ["--version"], { encoding: "utf8" }).status === 0;

interface Report {
  rank: number;
  stage: number;
  numel: number;
  liveBytes: number;
  estimate: number;
  gradResident: number;
  losses: number[];
}

function run(stage: number): Report[] {
  const args = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "2"];
  args.push(
    "node",
    "--conditions=@neox/source",
    "--import",
    "tsx",
    "test/workers/zero-memory.ts",
    String(stage),
  );
  const r = spawnSync("mpirun", args, {
    cwd: PKG,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NEOX_NUM_THREADS: "1" },
  });
  const reports = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("REPORT "))
    .map((l) => JSON.parse(l.slice(7)) as Report)
    .sort((a, b) => a.rank - b.rank);
  expect(reports.length, `${r.stdout}\n${r.stderr}`.slice(-4000)).toBe(2);
  expect(r.status).toBe(0);
  return reports;
}

describe.skipIf(!hasMpirun)("ZeRO memory per rank", () => {
  it("stage 1 allocates N fewer fp32 values than stage 0; stage 2 leaves the full gradient non-resident", () => {
    const [s0, s1, s2] = [0, 1, 2].map(run);
    const N = s0![0]!.numel;
    expect(N).toBeGreaterThan(1_000_000);
    const bytes = N * 4;
    for (const r of [0, 1]) {
      // Adam's moments: 2N at stage 0, 2N / 2 at stage 1; nothing else may grow
      const saved = s0![r]!.liveBytes - s1![r]!.liveBytes;
      expect(saved, `rank ${r}`).toBeGreaterThan(0.97 * bytes);
      expect(saved, `rank ${r}`).toBeLessThan(1.03 * bytes);
      // stage 2 adds the shard's own gradient (N / 2) to stage 1's allocations
      const extra = s2![r]!.liveBytes - s1![r]!.liveBytes;
      expect(Math.abs(extra - bytes / 2), `rank ${r}`).toBeLessThan(0.03 * bytes);
      // `neox train --dry-run` predicts the same differences (the last rank's shard is the largest)
      const est = (s: Report[]) => s[1]!.estimate;
      expect(Math.abs(est(s0!) - est(s1!) - saved), `rank ${r}`).toBeLessThan(0.03 * bytes);
      expect(Math.abs(est(s2!) - est(s1!) - extra), `rank ${r}`).toBeLessThan(0.03 * bytes);
      // the full gradient after the last step: stage 1 holds it, stage 2 gave its pages back
      expect(s1![r]!.gradResident, `rank ${r}`).toBeGreaterThan(0.9 * bytes);
      expect(s2![r]!.gradResident, `rank ${r}`).toBeLessThan(0.05 * bytes);
    }
    // the same training either way (stage 2 sums the micro-batches after the mean over ranks)
    for (const s of [s1!, s2!])
      for (const [i, l] of s[0]!.losses.entries())
        expect(Math.abs(l - s0![0]!.losses[i]!) / l).toBeLessThan(1e-6);
  }, 180_000);
});
