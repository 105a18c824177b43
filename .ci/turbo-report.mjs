// Prints, for the newest turbo run summary (.turbo/runs/*.json, written when TURBO_RUN_SUMMARY=true),
// one line per task that ran a command: whether it was replayed from the cache or executed, and how
// long it took. Usage: node .ci/turbo-report.mjs
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const dir = ".turbo/runs";
const runs = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => join(dir, f))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
if (runs.length === 0) throw new Error(`no run summary in ${dir}`);
const summary = JSON.parse(readFileSync(runs[0], "utf8"));
const rows = summary.tasks
  .filter((t) => t.command !== "<NONEXISTENT>")
  .map((t) => {
    const ms = (t.execution?.endTime ?? 0) - (t.execution?.startTime ?? 0);
    const hit = t.cache?.status === "HIT";
    return {
      id: t.taskId,
      hit,
      text: `${hit ? "cache hit " : "executed  "} ${(ms / 1000).toFixed(1).padStart(6)} s`,
    };
  })
  .sort((a, b) => a.id.localeCompare(b.id));
const width = Math.max(...rows.map((r) => r.id.length));
console.log(
  `turbo ${summary.execution?.command ?? ""}: ${rows.filter((r) => r.hit).length}/${rows.length} from the cache`,
);
for (const r of rows) console.log(`  ${r.id.padEnd(width)}  ${r.text}`);
