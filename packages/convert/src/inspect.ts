// `neox convert inspect PATH`: what a weights path holds, read from headers only (no tensor data
// is read, so inspecting a 10 GB checkpoint costs its headers). PATH is a save directory (followed
// through `latest`), one `global_stepN` directory, a Hugging Face directory (one file or shards with
// their index, validated as SafetensorsDir validates them) or one .safetensors file. The report is a
// plain object (`--json`); formatInspect renders it as a table.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { followLatest, INDEX_FILE, STATE_FILE } from "@neox/models";
import { SafetensorsFile } from "@neox/tensor";
import { SafetensorsDir } from "./safetensors-dir";

export interface InspectTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Elements (product of the shape). */
  numel: number;
  bytes: number;
  /** The file holding it, relative to the inspected directory. */
  file: string;
}

export interface InspectFile {
  file: string;
  /** The file's size on disk, header included. */
  bytes: number;
  tensors: number;
  metadata: Record<string, string>;
}

export interface InspectReport {
  /** The path as given. */
  path: string;
  kind: "checkpoint" | "hf" | "file";
  /** The directory inspected (after `latest`), or the file. */
  dir: string;
  /** How it was found: the path itself, or `<save>/latest -> global_stepN`. */
  via: string;
  files: InspectFile[];
  /** Model weights, file by file in data order. */
  tensors: InspectTensor[];
  /** Optimizer state of a checkpoint (optim/*.safetensors); empty otherwise. */
  optimizer: InspectTensor[];
  /** Over `tensors` (the weights): counts, elements and bytes, also per dtype. */
  totals: {
    tensors: number;
    parameters: number;
    bytes: number;
    byDtype: Record<string, { tensors: number; bytes: number }>;
  };
  /** config.json beside the weights (an HF config, or the checkpoint's resolved config). */
  config: Record<string, unknown> | null;
  configFile: string | null;
  /** A checkpoint's iteration (trainer_state.json). */
  iteration: number | null;
}

const CHECKPOINT_MARKERS = [STATE_FILE, INDEX_FILE];

/** Inspects `path`; throws an error naming the path when it is none of the four kinds. */
export function inspect(path: string): InspectReport {
  if (!existsSync(path)) throw new Error(`${path}: no such file or directory`);
  if (statSync(path).isFile()) {
    const file = SafetensorsFile.open(path);
    try {
      const dir = dirname(path);
      return report(path, "file", path, path, [file], [], dir);
    } finally {
      file.close();
    }
  }
  const found = followLatest(path);
  const dir = found?.dir ?? path;
  const via = found?.via ?? path;
  if (!found && !readdirSync(path).some((f) => f.endsWith(".safetensors") || f.endsWith(".index.json"))) {
    const steps = readdirSync(path).filter((f) => /^global_step\d+$/.test(f));
    throw new Error(
      steps.length > 0
        ? `${path}: no "latest" file; inspect one of ${steps.slice(0, 3).join(", ")}${steps.length > 3 ? ", ..." : ""}`
        : `${path}: expected a checkpoint, a Hugging Face directory or a .safetensors file`,
    );
  }
  const isCheckpoint = CHECKPOINT_MARKERS.some((f) => existsSync(join(dir, f)));
  const weights = SafetensorsDir.open(dir);
  const optim: SafetensorsFile[] = [];
  try {
    const optimDir = join(dir, "optim");
    if (isCheckpoint && existsSync(optimDir))
      for (const f of readdirSync(optimDir).sort())
        if (f.endsWith(".safetensors")) optim.push(SafetensorsFile.open(join(optimDir, f)));
    return report(path, isCheckpoint ? "checkpoint" : "hf", dir, via, weights.files, optim, dir);
  } finally {
    weights.close();
    for (const f of optim) f.close();
  }
}

function report(
  path: string,
  kind: InspectReport["kind"],
  dir: string,
  via: string,
  weights: readonly SafetensorsFile[],
  optim: readonly SafetensorsFile[],
  configDir: string,
): InspectReport {
  const rel = (f: SafetensorsFile) => (kind === "file" ? basename(f.path) : relative(dir, f.path));
  const list = (f: SafetensorsFile): InspectTensor[] =>
    f.entries.map((e) => ({
      name: e.name,
      dtype: e.dtype,
      shape: [...e.shape],
      numel: e.shape.reduce((a, d) => a * d, 1),
      bytes: e.end - e.begin,
      file: rel(f),
    }));
  const tensors = weights.flatMap(list);
  const byDtype: InspectReport["totals"]["byDtype"] = {};
  for (const t of tensors) {
    byDtype[t.dtype] ??= { tensors: 0, bytes: 0 };
    const d = byDtype[t.dtype]!;
    d.tensors++;
    d.bytes += t.bytes;
  }
  const configPath = join(configDir, "config.json");
  let config: Record<string, unknown> | null = null;
  if (existsSync(configPath)) {
    try {
      config = JSON.parse(readFileSync(configPath, "utf8"));
    } catch (err) {
      throw new Error(`${configPath}: not valid JSON: ${(err as Error).message}`);
    }
  }
  const statePath = join(configDir, "trainer_state.json");
  let iteration: number | null = null;
  if (kind === "checkpoint" && existsSync(statePath)) {
    const state = JSON.parse(readFileSync(statePath, "utf8")) as { iteration?: unknown };
    if (typeof state.iteration === "number") iteration = state.iteration;
  }
  return {
    path,
    kind,
    dir,
    via,
    files: [...weights, ...optim].map((f) => ({
      file: rel(f),
      bytes: statSync(f.path).size,
      tensors: f.entries.length,
      metadata: { ...f.metadata },
    })),
    tensors,
    optimizer: optim.flatMap(list),
    totals: {
      tensors: tensors.length,
      parameters: tensors.reduce((a, t) => a + t.numel, 0),
      bytes: tensors.reduce((a, t) => a + t.bytes, 0),
      byDtype,
    },
    config,
    configFile: config ? configPath : null,
    iteration,
  };
}

/** 1536 -> "1.5 KiB"; exact bytes stay in the JSON. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** The report as a human-readable table: header lines, one row per tensor, totals, the config. */
export function formatInspect(r: InspectReport): string {
  const out: string[] = [];
  const kinds = { checkpoint: "neox-ts checkpoint", hf: "Hugging Face directory", file: "safetensors file" };
  out.push(`${r.path}: ${kinds[r.kind]}${r.via !== r.path ? ` (${r.via})` : ""}`);
  if (r.iteration !== null) out.push(`iteration ${r.iteration}`);
  for (const f of r.files) {
    const meta = Object.entries(f.metadata).map(([k, v]) => `${k}=${v}`);
    out.push(
      `  ${f.file}  ${f.tensors} tensors, ${formatBytes(f.bytes)}${meta.length ? `  {${meta.join(", ")}}` : ""}`,
    );
  }
  out.push("");
  const many = r.files.length > 1;
  const rows = [...r.tensors, ...r.optimizer].map((t) => [
    t.name,
    t.dtype,
    `[${t.shape.join(", ")}]`,
    formatBytes(t.bytes),
    ...(many ? [t.file] : []),
  ]);
  const head = ["tensor", "dtype", "shape", "bytes", ...(many ? ["file"] : [])];
  out.push(...table([head, ...rows]));
  out.push("");
  const dtypes = Object.entries(r.totals.byDtype).map(
    ([d, v]) => `${d}: ${v.tensors} (${formatBytes(v.bytes)})`,
  );
  out.push(
    `total: ${r.totals.tensors} tensors, ${r.totals.parameters.toLocaleString("en-US")} parameters, ${formatBytes(r.totals.bytes)} (${r.totals.bytes} bytes)${dtypes.length ? `; ${dtypes.join(", ")}` : ""}`,
  );
  if (r.optimizer.length > 0)
    out.push(
      `optimizer state: ${r.optimizer.length} tensors, ${formatBytes(r.optimizer.reduce((a, t) => a + t.bytes, 0))}`,
    );
  if (r.config) {
    out.push("", `config (${r.configFile}):`);
    for (const [k, v] of Object.entries(r.config)) out.push(`  ${k}: ${JSON.stringify(v)}`);
  } else out.push("", "config: none (no config.json)");
  return `${out.join("\n")}\n`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  // Numbers (the bytes column) right-aligned, text left-aligned.
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd(),
  );
}
