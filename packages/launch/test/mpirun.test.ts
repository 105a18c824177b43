// The planned local command run for real under Open MPI's mpirun (openmpi-bin, installed by .ci/run):
// three ranks (more than this machine's cores in CI, so --oversubscribe is exercised), each reading
// its rank with rankFromEnv and the shared variables passed with -x.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { planLaunch } from "../src/index";

const here = dirname(fileURLToPath(import.meta.url));
const TSX = pathToFileURL(resolve(here, "../../../node_modules/tsx/dist/loader.mjs")).href;
const hasMpirun = spawnSync("mpirun", ["--version"]).status === 0;

describe.skipIf(!hasMpirun && process.env.CI !== "true")("mpirun runs the local plan", () => {
  it("starts num_gpus ranks that see their own rank and the shared variables", () => {
    const plan = planLaunch(
      { num_gpus: 3, master_port: 29777 },
      {
        env: {},
        worker: [process.execPath, "--import", TSX, resolve(here, "fixtures/print-rank.ts")],
        configPath: "/tmp/neox-launch-test/cfg.json",
        cpus: availableParallelism(),
        isRoot: process.getuid?.() === 0,
      },
    );
    const [cmd, ...args] = plan.command;
    const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const seen = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .sort((a, b) => a.rank - b.rank);
    expect(seen).toEqual(
      plan.ranks.map((p) => ({
        rank: p.rank,
        localRank: Number(p.env.LOCAL_RANK),
        worldSize: 3,
        source: "OMPI_COMM_WORLD",
        MASTER_ADDR: "127.0.0.1",
        MASTER_PORT: "29777",
        NEOX_RESOLVED_CONFIG: "/tmp/neox-launch-test/cfg.json",
      })),
    );
  });
});
