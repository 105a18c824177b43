// `pnpm bench:kernels [filter]`: runs every bench/sections/*.ts (each exports run(): Promise<Section>),
// prints one table per section with the ratio to its anchor, and writes the same figures to
// <repo>/bench-results/kernels.json. A filter runs only sections whose file name contains it.
// Benchmarks are not tests: they report, they do not assert.
import { mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isa, numThreads } from "../src/index";

export type Cell = string | number;

export interface Section {
  title: string;
  /** What the ratio column compares against, e.g. "OpenBLAS 0.3.21 cblas_sgemm in the same run". */
  anchor: string;
  columns: string[];
  rows: Record<string, Cell>[];
  notes?: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");

function fmt(v: Cell): string {
  if (typeof v === "string") return v;
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function printSection(s: Section): void {
  const cells = s.rows.map((r) => s.columns.map((c) => fmt(r[c] ?? "")));
  const widths = s.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => `| ${vals.map((v, i) => v.padStart(widths[i]!)).join(" | ")} |`;
  console.log(`\n## ${s.title}\nanchor: ${s.anchor}`);
  console.log(line(s.columns));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of cells) console.log(line(row));
  for (const n of s.notes ?? []) console.log(`note: ${n}`);
}

async function main(): Promise<void> {
  const filter = process.argv[2] ?? "";
  const dir = join(here, "sections");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && f.includes(filter))
    .sort();
  console.log(
    `neox kernels benchmark: ${cpus()[0]?.model ?? "cpu"}, isa ${isa()}, ${numThreads()} threads by default`,
  );
  const sections: (Section & { file: string })[] = [];
  const failures: string[] = [];
  for (const file of files) {
    try {
      const mod = (await import(pathToFileURL(join(dir, file)).href)) as { run?: () => Promise<Section> };
      if (typeof mod.run !== "function") throw new Error("exports no run()");
      const section = await mod.run();
      printSection(section);
      sections.push({ file, ...section });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      console.error(`\nsection ${file} failed: ${msg}`);
      failures.push(`${file}: ${msg}`);
    }
  }
  const out = join(repoRoot, "bench-results", "kernels.json");
  mkdirSync(dirname(out), { recursive: true });
  const json = { date: new Date().toISOString(), cpu: cpus()[0]?.model, isa: isa(), sections, failures };
  writeFileSync(`${out}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
  console.log(`\nwrote ${out}`);
  if (failures.length) process.exitCode = 1;
}

await main();
