// The flags of hf-export and hf-import, shared by `neox convert` (apps/cli) and the package's own
// scripts (hf-main.ts). Strict: an unknown, repeated or valueless flag is an error naming it.
import type { HfArchitecture, HfExportOptions, HfExportResult } from "./hf-export";
import type { HfImportOptions, HfImportResult } from "./hf-import";

export const HF_EXPORT_USAGE =
  "hf-export --input CKPT --output DIR --architecture neox|llama|mistral [--precision auto|fp32|bf16|fp16] [--shard-size S] [--overwrite]";
export const HF_IMPORT_USAGE = "hf-import --input DIR --output CKPT [--config-out FILE] [--overwrite]";

/** A bad command line; the message names the flag. */
export class HfUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HfUsageError";
  }
}

function parseFlags(
  argv: readonly string[],
  values: readonly string[],
  bools: readonly string[],
): { values: Map<string, string>; bools: Set<string> } {
  const out = { values: new Map<string, string>(), bools: new Set<string>() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf("=");
    const flag = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    if (out.values.has(flag) || out.bools.has(flag)) throw new HfUsageError(`${flag} given twice`);
    if (bools.includes(flag) && eq < 0) out.bools.add(flag);
    else if (values.includes(flag)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === "" || v.startsWith("--")) throw new HfUsageError(`${flag} needs a value`);
      out.values.set(flag, v);
    } else throw new HfUsageError(`unknown argument ${JSON.stringify(a)}`);
  }
  return out;
}

function required(m: Map<string, string>, flag: string): string {
  const v = m.get(flag);
  if (v === undefined) throw new HfUsageError(`${flag} is required`);
  return v;
}

export function parseHfExportArgs(argv: readonly string[]): HfExportOptions {
  const f = parseFlags(
    argv,
    ["--input", "--output", "--architecture", "--precision", "--shard-size"],
    ["--overwrite"],
  );
  const architecture = required(f.values, "--architecture");
  if (!["neox", "llama", "mistral"].includes(architecture))
    throw new HfUsageError(
      `--architecture expects neox, llama or mistral, got ${JSON.stringify(architecture)}`,
    );
  const precision = f.values.get("--precision") ?? "auto";
  if (!["auto", "fp32", "bf16", "fp16"].includes(precision))
    throw new HfUsageError(`--precision expects auto, fp32, bf16 or fp16, got ${JSON.stringify(precision)}`);
  const shard = f.values.get("--shard-size");
  return {
    input: required(f.values, "--input"),
    output: required(f.values, "--output"),
    architecture: architecture as HfArchitecture,
    precision: precision as HfExportOptions["precision"],
    ...(shard !== undefined ? { shardSize: /^\d+$/.test(shard) ? Number(shard) : shard } : {}),
    overwrite: f.bools.has("--overwrite"),
  };
}

export function parseHfImportArgs(argv: readonly string[]): HfImportOptions {
  const f = parseFlags(argv, ["--input", "--output", "--config-out"], ["--overwrite"]);
  const configOut = f.values.get("--config-out");
  return {
    input: required(f.values, "--input"),
    output: required(f.values, "--output"),
    ...(configOut !== undefined ? { configOut } : {}),
    overwrite: f.bools.has("--overwrite"),
  };
}

/** What hf-export prints: where the directory went and what is in it. */
export function describeExport(r: HfExportResult): string {
  const lines = [
    `hf-export: ${r.output} (${r.precision}, ${r.tensors} tensors) from ${r.via}`,
    `  files: ${r.files.join(", ")}`,
  ];
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return `${lines.join("\n")}\n`;
}

/** What hf-import prints: the checkpoint, the config, and how to run it. */
export function describeImport(r: HfImportResult): string {
  const lines = [`hf-import: ${r.architecture} -> ${r.checkpoint} (${r.tensors} tensors)`];
  lines.push(r.configOut ? `  config: ${r.configOut}` : `  config: ${r.checkpoint}/configs/model.yml`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  lines.push(
    `  run it: neox model logits ${r.configOut ?? `${r.checkpoint}/configs/model.yml`} --load ${r.output} --tokens 1,2,3`,
  );
  return `${lines.join("\n")}\n`;
}
