// `pnpm bench:convert`: checkpoint -> Hugging Face directory -> checkpoint for a Pythia-160M-shaped
// model (configs/pythia/160M.yml, random weights, fp32), each step in its own process so its peak
// RSS (process.resourceUsage().maxRSS) is that step's alone. Rows:
//   export     hfExport of the checkpoint to an HF directory (fp32: all the model's bytes)
//   import     hfImport of that directory back to a checkpoint
//   dir-write  the checkpoint's tensors streamed into a sharded directory (writeSafetensorsDir,
//              200MB shards): the I/O floor under export
//   dir-read   every tensor of that directory read back (SafetensorsDir): the floor under import
//   baseline   node with these modules loaded and nothing done (the RSS that is not the model's)
// MB/s is the model's size (the checkpoint's model.safetensors) over the step's wall time. The goal
// is a peak RSS below 1.5x the model's size: no step may hold two copies of the weights.
// Env: NEOX_BENCH_CONFIG (default configs/pythia/160M.yml), NEOX_BENCH_KEEP=1 keeps the files.
// Prints a table and writes bench-results/convert.json.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const CONFIG = process.env.NEOX_BENCH_CONFIG ?? join(ROOT, "configs", "pythia", "160M.yml");

interface Row {
  op: string;
  seconds: number;
  maxRssBytes: number;
  bytes: number;
}

function cpuModel(): string {
  const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
  return m?.[1]?.trim() ?? cpus()[0]?.model.trim() ?? "unknown CPU";
}

function child(...args: string[]): Row {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, join(import.meta.dirname, "convert-child.ts"), ...args],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
  );
  const last = out.trim().split("\n").at(-1)!;
  return JSON.parse(last) as Row;
}

const MB = 1e6;
const work = mkdtempSync(join(tmpdir(), "neox-bench-convert-"));
try {
  const save = join(work, "save");
  const cpu = cpuModel();
  console.log(`bench:convert on ${cpu}, ${cpus().length} logical CPUs, load ${loadavg()[0]!.toFixed(2)}`);
  console.log(`model: ${CONFIG} (random weights, fp32), in ${work}`);
  const made = child("make", CONFIG, save);
  const modelBytes = made.bytes;
  console.log(`checkpoint written: ${(modelBytes / MB).toFixed(1)} MB (${made.seconds.toFixed(1)} s)\n`);

  const rows: Row[] = [];
  rows.push(child("baseline"));
  rows.push(child("export", save, join(work, "hf")));
  rows.push(child("import", join(work, "hf"), join(work, "imported")));
  rows.push(child("dir-write", save, join(work, "sharded"), "200MB"));
  rows.push(child("dir-read", join(work, "sharded")));

  const table = rows.map((r) => ({
    step: r.op,
    seconds: Number(r.seconds.toFixed(2)),
    mb_per_s: r.op === "baseline" ? null : Number((modelBytes / MB / r.seconds).toFixed(1)),
    peak_rss_mb: Number((r.maxRssBytes / MB).toFixed(1)),
    rss_over_model: Number((r.maxRssBytes / modelBytes).toFixed(2)),
  }));
  const pad = (s: string, n: number) => s.padStart(n);
  console.log(
    `${"step".padEnd(10)}${pad("seconds", 9)}${pad("MB/s", 9)}${pad("peak RSS MB", 13)}${pad("RSS/model", 11)}`,
  );
  for (const t of table)
    console.log(
      `${t.step.padEnd(10)}${pad(t.seconds.toFixed(2), 9)}${pad(t.mb_per_s === null ? "-" : t.mb_per_s.toFixed(1), 9)}${pad(t.peak_rss_mb.toFixed(1), 13)}${pad(t.rss_over_model.toFixed(2), 11)}`,
    );
  const differ = child("compare", save, join(work, "imported")).bytes;
  console.log(
    `\nround trip checkpoint -> HF -> checkpoint: ${differ === 0 ? "every tensor byte-identical" : `${differ} tensor(s) DIFFER`}`,
  );
  const worst = Math.max(...rows.map((r) => r.maxRssBytes / modelBytes));
  console.log(
    `model ${(modelBytes / MB).toFixed(1)} MB; worst peak RSS ${worst.toFixed(2)}x the model (goal < 1.5x): ${worst < 1.5 ? "met" : "NOT met"}`,
  );
  mkdirSync(join(ROOT, "bench-results"), { recursive: true });
  writeFileSync(
    join(ROOT, "bench-results", "convert.json"),
    `${JSON.stringify({ date: new Date().toISOString(), cpu, config: CONFIG, model_bytes: modelBytes, round_trip_differing: differ, rows: table }, null, 2)}\n`,
  );
} finally {
  if (process.env.NEOX_BENCH_KEEP !== "1") rmSync(work, { recursive: true, force: true });
}
