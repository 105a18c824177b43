// The samples file: one JSON object per line, written to a temporary file beside the target and
// renamed over it, so a reader never sees half a file and an interrupted run leaves the old one.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { SampleRecord } from "./samples";

export function writeSamples(path: string, records: readonly SampleRecord[]): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`sample_output_file ${path}: cannot write it (${(err as Error).message})`);
  }
}
