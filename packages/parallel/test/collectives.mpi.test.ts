// Runs test/workers/collectives.ts under a real `mpirun` with 2 ranks and with 4 (more ranks than
// this machine's cores: --oversubscribe), and asserts every rank's report: each collective checked
// against its definition on every rank (odd sizes, bf16, sub-groups, a send/recv ring), the
// event loop ticking while a collective waits, and a clean exit. Skipped only where `mpirun` is not
// installed; with mpirun present, a missing MPI binding fails with the build hint.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PKG = fileURLToPath(new URL("..", import.meta.url));
const hasMpirun = spawnSync("mpirun", ["--version"], { encoding: "utf8" }).status === 0;

interface Report {
  rank: number;
  size: number;
  checks: Record<string, string>;
  offThread: { ticks: number; waitedMs: number };
  library: string;
  threadLevel: number;
}

function runWorkers(np: number): { status: number | null; reports: Report[]; output: string } {
  const args = ["--allow-run-as-root", "--oversubscribe", "-np", String(np)];
  args.push("node", "--conditions=@neox/source", "--import", "tsx", "test/workers/collectives.ts");
  const r = spawnSync("mpirun", args, { cwd: PKG, encoding: "utf8", timeout: 120_000 });
  const output = `${r.stdout}\n${r.stderr}`;
  const reports = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("REPORT "))
    .map((l) => JSON.parse(l.slice("REPORT ".length)) as Report)
    .sort((a, b) => a.rank - b.rank);
  return { status: r.status, reports, output };
}

describe.skipIf(!hasMpirun)("collectives under mpirun", () => {
  for (const np of [2, 4]) {
    it(`mpirun -np ${np}: every rank passes every check and exits 0`, () => {
      const { status, reports, output } = runWorkers(np);
      expect(
        reports.map((r) => r.rank),
        output.slice(-4000),
      ).toEqual([...Array(np).keys()]);
      const names = Object.keys(reports[0]!.checks);
      // Each size and dtype of each collective, plus the group checks: a missing check is a failure.
      for (const want of [
        "allReduce f32 sum n=1",
        "allReduce bf16 avg n=1000003",
        "allReduce f32 sum n=4194319",
        "allReduce bf16 avg n=4194319",
        "reduceScatter f32 sum n=7",
        "reduceScatter bf16 avg n=1000003",
        "reduceScatterV f32 avg accumulate, then discard",
        "reduceScatterV bf16 avg",
        "reduceScatterV f32 in place (the output is the own segment of the input)",
        "allGather f32 in place (the input is the own block of the output)",
        "drain waits for an operation nobody awaited yet",
        "allGather bf16 n=1000003",
        `broadcast f32 root=${np - 1} n=7`,
        "send/recv ring",
        "barrier",
        "split even/odd",
        "split negative color",
        "off the JS thread",
      ])
        expect(names).toContain(want);
      for (const r of reports) {
        expect(r.size).toBe(np);
        expect(Object.keys(r.checks)).toEqual(names);
        const failed = Object.entries(r.checks).filter(([, v]) => v !== "ok");
        expect(failed, `rank ${r.rank} failed checks`).toEqual([]);
        expect(r.library).toMatch(/MPI/);
        expect(r.threadLevel).toBeGreaterThanOrEqual(2); // MPI_THREAD_SERIALIZED
      }
      // Rank 0's all-reduce waited for ranks that joined 300 ms late; its 10 ms timer kept firing.
      const zero = reports[0]!.offThread;
      expect(zero.waitedMs).toBeGreaterThan(250);
      expect(zero.ticks).toBeGreaterThanOrEqual(5);
      expect(status, output.slice(-4000)).toBe(0);
    });
  }
});
