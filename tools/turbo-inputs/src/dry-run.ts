// Task hashes as turbo computes them, from `turbo run <task> --dry=json` (nothing is executed).
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export type TaskHashes = ReadonlyMap<string, string>;

export function dryRunHashes(root: string, task: string): TaskHashes {
  const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", TURBO_NO_UPDATE_NOTIFIER: "1" };
  const r = spawnSync(join(root, "node_modules/.bin/turbo"), ["run", task, "--dry=json"], {
    cwd: root,
    env,
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`turbo run ${task} --dry=json failed (${r.status}): ${r.stderr}`);
  const summary = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as {
    tasks: { taskId: string; task: string; hash: string }[];
  };
  return new Map(summary.tasks.filter((t) => t.task === task).map((t) => [t.taskId, t.hash]));
}
