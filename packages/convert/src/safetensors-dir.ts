// A directory of safetensors weights as transformers writes and reads them: one
// `model.safetensors`, or shards `model-00001-of-0000N.safetensors` with
// `model.safetensors.index.json` ({"metadata": {"total_size": N}, "weight_map": {name: file}}).
// Reading checks that the index and the files agree tensor by tensor; writing splits tensors into
// shards as huggingface_hub's split_state_dict_into_shards does (in the order given, a new shard
// when the next tensor would pass `shardSize`, a tensor larger than `shardSize` alone) and streams
// each tensor's bytes from its producer, staged in a temporary directory so a failure leaves the
// target as it was.

import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  type SafetensorsArray,
  type SafetensorsEntry,
  SafetensorsFile,
  type StreamedTensor,
  type Tensor,
  tensorByteSize,
  toSafetensorsDType,
  writeSafetensorsStream,
} from "@neox/tensor";

export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";
/** transformers' default `max_shard_size`, "5GB": decimal gigabytes. */
export const DEFAULT_SHARD_SIZE = 5_000_000_000;
const SHARD = /^model-(\d{5})-of-(\d{5})\.safetensors$/;

/** A directory whose files disagree with each other or with the index: names the file and tensor. */
export class SafetensorsDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsDirError";
  }
}

/** transformers' shard name: `model-00002-of-00003.safetensors` (1-based, 5 digits). */
export const shardFileName = (i: number, n: number): string =>
  `model-${String(i + 1).padStart(5, "0")}-of-${String(n).padStart(5, "0")}.safetensors`;

const UNITS: Record<string, number> = {
  GIB: 2 ** 30,
  MIB: 2 ** 20,
  KIB: 2 ** 10,
  GB: 1e9,
  MB: 1e6,
  KB: 1e3,
  B: 1,
};

/**
 * A shard size in bytes: a number, or a string as transformers' convert_file_size_to_int reads it
 * ("5GB" = 5·10^9, "2GiB" = 2·2^30, "500MB", "10KB"; a lower-case trailing "b" means bits).
 */
export function parseShardSize(size: number | string): number {
  if (typeof size === "number") {
    if (!Number.isSafeInteger(size) || size <= 0)
      throw new Error(`shard size ${size}: expected a positive whole number of bytes`);
    return size;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]I?B|B)?\s*$/i.exec(size);
  if (!m)
    throw new Error(
      `shard size "${size}": expected bytes or a size such as "5GB", "500MB", "10KB" or "2GiB"`,
    );
  const unit = (m[2] ?? "B").toUpperCase();
  let bytes = Math.floor(Number(m[1]) * UNITS[unit]!);
  if (m[2]?.endsWith("b") && unit !== "B") bytes = Math.floor(bytes / 8);
  if (bytes <= 0) throw new Error(`shard size "${size}" is zero bytes`);
  return bytes;
}

/** One tensor of a directory: its name, the file holding it (a name inside the directory), its entry. */
export interface DirEntry {
  name: string;
  file: string;
  entry: SafetensorsEntry;
}

/** The transformers index: `total_size` in bytes and the file of each tensor. */
export interface ShardIndex {
  metadata: Record<string, unknown> & { total_size?: number };
  weight_map: Record<string, string>;
}

/** An open directory of safetensors files, validated; tensors are read on demand. */
export class SafetensorsDir {
  private readonly byName: Map<string, { file: SafetensorsFile; entry: SafetensorsEntry }>;

  private constructor(
    readonly dir: string,
    readonly files: readonly SafetensorsFile[],
    readonly index: ShardIndex | null,
  ) {
    this.byName = new Map();
    for (const file of files) for (const entry of file.entries) this.byName.set(entry.name, { file, entry });
  }

  /** Opens `dir` (a single file or an index with shards); every file's header is validated. */
  static open(dir: string): SafetensorsDir {
    const names = readdirSync(dir);
    const shards = names.filter((f) => SHARD.test(f)).sort();
    const hasIndex = names.includes(INDEX_FILE);
    const hasSingle = names.includes(SINGLE_FILE);
    if (hasIndex && hasSingle)
      throw new SafetensorsDirError(
        `${dir}: holds both ${SINGLE_FILE} and ${INDEX_FILE}; expected one file or an index with shards`,
      );
    if (hasSingle) {
      if (shards.length > 0)
        throw new SafetensorsDirError(
          `${join(dir, shards[0]!)}: a shard beside ${SINGLE_FILE} with no ${INDEX_FILE}; expected one or the other`,
        );
      return new SafetensorsDir(dir, [SafetensorsFile.open(join(dir, SINGLE_FILE))], null);
    }
    if (!hasIndex) {
      if (shards.length > 0)
        throw new SafetensorsDirError(
          `${dir}: holds ${shards[0]} but no ${INDEX_FILE} naming the tensors' shards`,
        );
      const bin = names.find((f) => /^pytorch_model.*\.bin$/.test(f));
      throw new SafetensorsDirError(
        bin
          ? `${join(dir, bin)}: PyTorch pickle weights are not read here (unsafe to unpickle); convert them to safetensors first, e.g. in Python: model = AutoModelForCausalLM.from_pretrained(dir); model.save_pretrained(out, safe_serialization=True)`
          : `${dir}: expected ${SINGLE_FILE} or ${INDEX_FILE} with its shards, found neither`,
      );
    }
    const indexPath = join(dir, INDEX_FILE);
    const index = readIndex(indexPath);
    const wanted = [...new Set(Object.values(index.weight_map))].sort();
    // Shards the index never names are opened too: their tensors then fail the check below by
    // name ("not listed", "placed in another file"), which says more than "an extra file".
    const stray = shards.filter((f) => !wanted.includes(f));
    const files: SafetensorsFile[] = [];
    try {
      for (const f of [...wanted, ...stray]) {
        const path = join(dir, f);
        if (!existsSync(path)) {
          const tensor = Object.keys(index.weight_map).find((t) => index.weight_map[t] === f);
          throw new SafetensorsDirError(
            `${indexPath}: names ${f} for tensor "${tensor}", but ${path} does not exist`,
          );
        }
        files.push(SafetensorsFile.open(path));
      }
      checkAgainstIndex(indexPath, index, files);
      if (stray.length > 0)
        throw new SafetensorsDirError(
          `${join(dir, stray[0]!)}: a shard that ${indexPath} does not name for any tensor`,
        );
    } catch (err) {
      for (const f of files) f.close();
      throw err;
    }
    return new SafetensorsDir(dir, files, index);
  }

  /** Every tensor, file by file (sorted names), in each file's data order. */
  entries(): DirEntry[] {
    return this.files.flatMap((f) =>
      f.entries.map((entry) => ({ name: entry.name, file: basename(f.path), entry })),
    );
  }

  names(): string[] {
    return this.entries().map((e) => e.name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The file holding `name`; an error naming the directory when none does. */
  fileOf(name: string): SafetensorsFile {
    const hit = this.byName.get(name);
    if (!hit)
      throw new SafetensorsDirError(`${this.dir}: no tensor "${name}" (it holds ${this.byName.size})`);
    return hit.file;
  }

  entry(name: string): SafetensorsEntry {
    return this.fileOf(name).entry(name);
  }

  readBytes(name: string): Uint8Array {
    return this.fileOf(name).readBytes(name);
  }

  readArray(name: string): SafetensorsArray {
    return this.fileOf(name).readArray(name);
  }

  readInto(name: string, target: Tensor): void {
    this.fileOf(name).readInto(name, target);
  }

  /** Bytes of tensor data over all files (transformers' `total_size`). */
  totalBytes(): number {
    return this.entries().reduce((a, e) => a + e.entry.end - e.entry.begin, 0);
  }

  close(): void {
    for (const f of this.files) f.close();
  }
}

/** Same cap as a safetensors header: an index is names and file names, never near this. */
const MAX_INDEX_BYTES = 100_000_000;

function readIndex(path: string): ShardIndex {
  const size = statSync(path).size;
  if (size > MAX_INDEX_BYTES)
    throw new SafetensorsDirError(
      `${path}: ${size} bytes exceeds the ${MAX_INDEX_BYTES}-byte limit for an index`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new SafetensorsDirError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(parsed) || !isObject(parsed.weight_map))
    throw new SafetensorsDirError(`${path}: expected {"metadata": {...}, "weight_map": {tensor: file}}`);
  const metadata = parsed.metadata ?? {};
  if (!isObject(metadata)) throw new SafetensorsDirError(`${path}: "metadata" must be an object`);
  const total = metadata.total_size;
  if (total !== undefined && !(Number.isSafeInteger(total) && (total as number) >= 0))
    throw new SafetensorsDirError(
      `${path}: metadata.total_size is ${JSON.stringify(total)}, expected a byte count`,
    );
  for (const [tensor, file] of Object.entries(parsed.weight_map)) {
    // A file name only: an index must not send the reader outside its directory.
    if (
      typeof file !== "string" ||
      !file.endsWith(".safetensors") ||
      file !== basename(file) ||
      file.startsWith(".")
    )
      throw new SafetensorsDirError(
        `${path}: weight_map["${tensor}"] is ${JSON.stringify(file)}, expected a .safetensors file name in this directory`,
      );
  }
  return { metadata, weight_map: parsed.weight_map as Record<string, string> };
}

function checkAgainstIndex(indexPath: string, index: ShardIndex, files: readonly SafetensorsFile[]): void {
  const holder = new Map<string, string>();
  for (const f of files) {
    const name = basename(f.path);
    for (const e of f.entries) {
      const other = holder.get(e.name);
      if (other) throw new SafetensorsDirError(`${f.path}: tensor "${e.name}" is also in ${other}`);
      holder.set(e.name, name);
      const listed = index.weight_map[e.name];
      if (listed === undefined)
        throw new SafetensorsDirError(`${f.path}: tensor "${e.name}" is not listed in ${indexPath}`);
      if (listed !== name)
        throw new SafetensorsDirError(
          `${f.path}: holds tensor "${e.name}", which ${indexPath} places in ${listed}`,
        );
    }
  }
  for (const [tensor, file] of Object.entries(index.weight_map))
    if (!holder.has(tensor))
      throw new SafetensorsDirError(
        `${indexPath}: lists tensor "${tensor}" in ${file}, which does not hold it`,
      );
}

export interface WriteDirOptions {
  /** Bytes per shard, or a size string ("5GB", "500MB"); default 5GB, as transformers. */
  shardSize?: number | string;
  /** Merged over {"format": "pt"} in every file. */
  metadata?: Record<string, string>;
}

export interface WrittenDir {
  /** File names written, in order. */
  files: string[];
  /** The index written beside the shards, or null for a single file. */
  index: ShardIndex | null;
  /** Bytes of tensor data. */
  totalSize: number;
}

/** Tensors split into shards, in order, as huggingface_hub's split_state_dict_into_shards. */
export function planShards(sizes: readonly { name: string; bytes: number }[], shardSize: number): string[][] {
  const shards: string[][] = [];
  let current: string[] = [];
  let currentSize = 0;
  for (const { name, bytes } of sizes) {
    if (bytes > shardSize) {
      shards.push([name]);
      continue;
    }
    if (currentSize + bytes > shardSize && current.length > 0) {
      shards.push(current);
      current = [];
      currentSize = 0;
    }
    current.push(name);
    currentSize += bytes;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);
  return shards;
}

/**
 * Writes `tensors` (bytes produced one at a time) to `dir` as transformers would save them. All
 * files are staged in a temporary directory and moved in once every one is complete; files a
 * previous save left (`model.safetensors`, an index, shards) that this one does not write are
 * removed afterwards, so the directory never names two layouts.
 */
export function writeSafetensorsDir(
  dir: string,
  tensors: Iterable<StreamedTensor>,
  options: WriteDirOptions = {},
): WrittenDir {
  const shardSize = parseShardSize(options.shardSize ?? DEFAULT_SHARD_SIZE);
  const list = [...tensors];
  const byName = new Map<string, StreamedTensor>();
  const sizes = list.map((t) => {
    if (byName.has(t.name)) throw new Error(`${dir}: tensor "${t.name}" is given twice`);
    byName.set(t.name, t);
    const dtype = toSafetensorsDType(t.dtype);
    if (!dtype) throw new Error(`${dir}: tensor "${t.name}" has unknown dtype "${t.dtype}"`);
    return { name: t.name, bytes: tensorByteSize(t.name, dtype, t.shape) };
  });
  const plan = planShards(sizes, shardSize);
  const totalSize = sizes.reduce((a, s) => a + s.bytes, 0);
  const names = plan.length === 1 ? [SINGLE_FILE] : plan.map((_, i) => shardFileName(i, plan.length));
  const weightMap: Record<string, string> = {};
  plan.forEach((shard, i) => {
    for (const t of shard) weightMap[t] = names[i]!;
  });
  const index: ShardIndex | null =
    plan.length === 1 ? null : { metadata: { total_size: totalSize }, weight_map: sortKeys(weightMap) };

  const fresh = !existsSync(dir);
  if (!fresh && !statSync(dir).isDirectory()) throw new Error(`${dir}: exists and is not a directory`);
  const stage = fresh
    ? join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`)
    : join(dir, `.safetensors.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(stage, { recursive: false });
  try {
    plan.forEach((shard, i) => {
      writeSafetensorsStream(
        join(stage, names[i]!),
        shard.map((t) => byName.get(t)!),
        options.metadata,
      );
    });
    if (index) writeSynced(join(stage, INDEX_FILE), `${pythonJson(index)}\n`);
    if (fresh) {
      renameSync(stage, dir);
    } else {
      const written = [...names, ...(index ? [INDEX_FILE] : [])];
      for (const f of written) renameSync(join(stage, f), join(dir, f));
      rmSync(stage, { recursive: true, force: true });
      for (const f of readdirSync(dir))
        if ((f === SINGLE_FILE || f === INDEX_FILE || SHARD.test(f)) && !written.includes(f))
          rmSync(join(dir, f), { force: true });
    }
  } catch (err) {
    rmSync(stage, { recursive: true, force: true });
    throw err;
  }
  return { files: names, index, totalSize };
}

function writeSynced(path: string, text: string): void {
  const fd = openSync(path, "wx");
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * JSON as Python's `json.dumps(obj, indent=2, sort_keys=True)` writes it (transformers' index):
 * keys sorted, non-ASCII escaped as \uXXXX, ", " / ": " separators.
 */
export function pythonJson(value: unknown, indent = ""): string {
  if (typeof value === "string")
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value))
    return value.length === 0
      ? "[]"
      : `[\n${value.map((v) => inner + pythonJson(v, inner)).join(",\n")}\n${indent}]`;
  const keys = Object.keys(value).sort();
  if (keys.length === 0) return "{}";
  const rows = keys.map(
    (k) => `${inner}${pythonJson(k)}: ${pythonJson((value as Record<string, unknown>)[k], inner)}`,
  );
  return `{\n${rows.join(",\n")}\n${indent}}`;
}
