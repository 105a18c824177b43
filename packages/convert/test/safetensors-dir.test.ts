// Safetensors directories as transformers lays them out: shard sizes and names, the index text
// (compared with Python's json.dumps, which transformers uses), round trips, every disagreement
// between index and files refused with the file and tensor named, and failed writes leaving
// the target as it was.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SafetensorsFile, type StreamedTensor, writeSafetensorsStream } from "@neox/tensor";
import { afterAll, describe, expect, it } from "vitest";
import {
  DEFAULT_SHARD_SIZE,
  INDEX_FILE,
  parseShardSize,
  planShards,
  SafetensorsDir,
  SINGLE_FILE,
  shardFileName,
  writeSafetensorsDir,
} from "../src/safetensors-dir";

const root = mkdtempSync(join(tmpdir(), "safetensors-dir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let serial = 0;
const fresh = () => join(root, `d${serial++}`);

const values = (n: number, seed: number) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + seed));
/** Tensors of 40, 400, 40, 4000 and 800 bytes (f32), in a model's order. */
function tensors(): { spec: StreamedTensor[]; data: Record<string, Float32Array> } {
  const sizes: [string, number][] = [
    ["embed.weight", 10],
    ["layers.0.w", 100],
    ["layers.0.b", 10],
    ["layers.1.w", 1000],
    ["head.weight", 200],
  ];
  const data = Object.fromEntries(sizes.map(([name, n], i) => [name, values(n, i)]));
  const spec = sizes.map(([name, n]) => ({
    name,
    dtype: "f32" as const,
    shape: [n],
    data: () => data[name]!,
  }));
  return { spec, data };
}

describe("shard sizes and names", () => {
  it("reads sizes as transformers' convert_file_size_to_int does", () => {
    expect(DEFAULT_SHARD_SIZE).toBe(5 * 10 ** 9);
    expect(parseShardSize("5GB")).toBe(5 * 10 ** 9);
    expect(parseShardSize("500MB")).toBe(500 * 10 ** 6);
    expect(parseShardSize("10KB")).toBe(10 * 10 ** 3);
    expect(parseShardSize("2GiB")).toBe(2 * 2 ** 30);
    expect(parseShardSize("3MiB")).toBe(3 * 2 ** 20);
    expect(parseShardSize("8Gb")).toBe(10 ** 9); // lower-case b: bits
    expect(parseShardSize(1234)).toBe(1234);
    expect(parseShardSize("1234")).toBe(1234);
    expect(() => parseShardSize("5 parsecs")).toThrow('shard size "5 parsecs": expected bytes or a size');
    expect(() => parseShardSize(0)).toThrow("expected a positive whole number");
  });

  it("splits in order, opening a shard when the next tensor would pass the size; a larger tensor alone", () => {
    const s = (name: string, bytes: number) => ({ name, bytes });
    // a+b fill 8; c opens a new shard; big (10 > 8) goes alone at once; e joins c's shard.
    expect(planShards([s("a", 4), s("b", 4), s("c", 4), s("big", 10), s("e", 4)], 8)).toEqual([
      ["a", "b"],
      ["big"],
      ["c", "e"],
    ]);
    expect(planShards([s("a", 4), s("b", 4)], 8)).toEqual([["a", "b"]]);
    expect(shardFileName(0, 3)).toBe("model-00001-of-00003.safetensors");
    expect(shardFileName(11, 12)).toBe("model-00012-of-00012.safetensors");
  });
});

describe("writing and reading a directory", () => {
  it("everything within the shard size: one model.safetensors, no index, format pt", () => {
    const dir = fresh();
    const { spec, data } = tensors();
    const out = writeSafetensorsDir(dir, spec);
    expect(out.files).toEqual([SINGLE_FILE]);
    expect(out.index).toBeNull();
    expect(readdirSync(dir)).toEqual([SINGLE_FILE]);
    const d = SafetensorsDir.open(dir);
    expect(d.files[0]!.metadata).toEqual({ format: "pt" });
    for (const [name, v] of Object.entries(data)) expect(d.readArray(name)).toEqual(v);
    expect(d.totalBytes()).toBe(4 * (10 + 100 + 10 + 1000 + 200));
    d.close();
  });

  it("sharded: names, weight map and total_size as transformers writes them, in Python's JSON text", () => {
    const dir = fresh();
    const { spec, data } = tensors();
    const out = writeSafetensorsDir(dir, spec, { shardSize: "1KB" });
    // 40+400+40 = 480 fit 1000 bytes; 4000 goes alone at once (the first shard); 800 would pass
    // 1000 beside the 480, so it closes their shard and opens the last.
    const expectedShards = [["layers.1.w"], ["embed.weight", "layers.0.w", "layers.0.b"], ["head.weight"]];
    const names = expectedShards.map((_, i) => shardFileName(i, 3));
    expect(out.files).toEqual(names);
    expect(readdirSync(dir).sort()).toEqual([...names, INDEX_FILE].sort());
    const text = readFileSync(join(dir, INDEX_FILE), "utf8");
    const index = JSON.parse(text);
    const weightMap = Object.fromEntries(expectedShards.flatMap((s, i) => s.map((t) => [t, names[i]])));
    expect(index).toEqual({ metadata: { total_size: out.totalSize }, weight_map: weightMap });
    expect(out.totalSize).toBe(4 * 1320);
    const python = execFileSync(
      "/usr/bin/python3",
      ["-c", "import json,sys; print(json.dumps(json.load(sys.stdin), indent=2, sort_keys=True))"],
      { input: text },
    ).toString();
    expect(text).toBe(python);
    for (const [i, shard] of expectedShards.entries()) {
      const f = SafetensorsFile.open(join(dir, names[i]!));
      expect(f.names().sort()).toEqual([...shard].sort());
      expect(f.metadata).toEqual({ format: "pt" });
      f.close();
    }
    const d = SafetensorsDir.open(dir);
    expect(d.names().sort()).toEqual(Object.keys(data).sort());
    for (const [name, v] of Object.entries(data)) expect(d.readArray(name)).toEqual(v);
    expect(d.entries().find((e) => e.name === "layers.1.w")!.file).toBe(names[0]);
    d.close();
  });

  it("escapes non-ASCII tensor names in the index as Python does", () => {
    const dir = fresh();
    const t = (name: string): StreamedTensor => ({
      name,
      dtype: "u8",
      shape: [8],
      data: () => new Uint8Array(8),
    });
    writeSafetensorsDir(dir, [t("größe"), t("✓.weight"), t("plain")], { shardSize: 10 });
    const text = readFileSync(join(dir, INDEX_FILE), "utf8");
    const python = execFileSync(
      "/usr/bin/python3",
      ["-c", "import json,sys; print(json.dumps(json.load(sys.stdin), indent=2, sort_keys=True))"],
      { input: text },
    ).toString();
    expect(text).toBe(python);
    expect(text).toContain("gr\\u00f6\\u00dfe");
    const d = SafetensorsDir.open(dir);
    expect(d.has("größe")).toBe(true);
    d.close();
  });

  it("a producer failing in the second shard leaves no directory and no staging behind", () => {
    const dir = fresh();
    const { spec } = tensors();
    spec[3] = {
      ...spec[3]!,
      data: () => {
        throw new Error("out of memory");
      },
    };
    const before = readdirSync(root).sort();
    expect(() => writeSafetensorsDir(dir, spec, { shardSize: "1KB" })).toThrow("out of memory");
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(root).sort()).toEqual(before);
  });

  it("into an existing directory: a failure keeps the old files; success replaces the old layout", () => {
    const dir = fresh();
    const { spec, data } = tensors();
    writeSafetensorsDir(dir, spec, { shardSize: "1KB" });
    writeFileSync(join(dir, "config.json"), "{}");
    const oldIndex = readFileSync(join(dir, INDEX_FILE));
    const failing = spec.map((t, i) => (i === 4 ? { ...t, data: () => new Float32Array(3) } : t));
    expect(() => writeSafetensorsDir(dir, failing)).toThrow('tensor "head.weight" F32 [200] needs 800 bytes');
    expect(readFileSync(join(dir, INDEX_FILE))).toEqual(oldIndex);
    expect(readdirSync(dir).sort()).toEqual(
      ["config.json", INDEX_FILE, ...[0, 1, 2].map((i) => shardFileName(i, 3))].sort(),
    );
    writeSafetensorsDir(dir, spec);
    expect(readdirSync(dir).sort()).toEqual(["config.json", SINGLE_FILE]);
    const d = SafetensorsDir.open(dir);
    expect(d.readArray("layers.1.w")).toEqual(data["layers.1.w"]);
    d.close();
  });
});

describe("a directory whose index and files disagree", () => {
  /** A valid three-shard directory, then `edit` applied to its index's weight_map. */
  function broken(edit: (map: Record<string, string>) => void): string {
    const dir = fresh();
    writeSafetensorsDir(dir, tensors().spec, { shardSize: "1KB" });
    const path = join(dir, INDEX_FILE);
    const index = JSON.parse(readFileSync(path, "utf8"));
    edit(index.weight_map);
    writeFileSync(path, JSON.stringify(index));
    return dir;
  }
  const s = (i: number) => shardFileName(i, 3);

  it("a tensor listed but missing from its file", () => {
    const dir = broken((m) => {
      m["layers.2.w"] = s(1);
    });
    expect(() => SafetensorsDir.open(dir)).toThrow(
      `${join(dir, INDEX_FILE)}: lists tensor "layers.2.w" in ${s(1)}, which does not hold it`,
    );
  });

  it("a tensor present but not listed", () => {
    const dir = broken((m) => {
      delete m["layers.0.b"];
    });
    expect(() => SafetensorsDir.open(dir)).toThrow(
      `${join(dir, s(1))}: tensor "layers.0.b" is not listed in ${join(dir, INDEX_FILE)}`,
    );
  });

  it("a tensor listed in another shard than the one holding it", () => {
    const dir = broken((m) => {
      m["head.weight"] = s(0);
    });
    expect(() => SafetensorsDir.open(dir)).toThrow(
      `${join(dir, s(2))}: holds tensor "head.weight", which ${join(dir, INDEX_FILE)} places in ${s(0)}`,
    );
  });

  it("a tensor in two shards", () => {
    const dir = fresh();
    writeSafetensorsDir(dir, tensors().spec, { shardSize: "1KB" });
    const { spec } = tensors();
    writeSafetensorsStream(join(dir, s(2)), [spec[4]!, spec[0]!]);
    expect(() => SafetensorsDir.open(dir)).toThrow(
      `${join(dir, s(2))}: tensor "embed.weight" is also in ${s(1)}`,
    );
  });

  it("a shard the index names but the directory lacks, or one it holds but the index never names", () => {
    const dir = fresh();
    writeSafetensorsDir(dir, tensors().spec, { shardSize: "1KB" });
    rmSync(join(dir, s(1)));
    expect(() => SafetensorsDir.open(dir)).toThrow(
      `${join(dir, INDEX_FILE)}: names ${s(1)} for tensor "embed.weight", but ${join(dir, s(1))} does not exist`,
    );
    const stray = fresh();
    writeSafetensorsDir(stray, tensors().spec, { shardSize: "1KB" });
    writeSafetensorsStream(join(stray, shardFileName(3, 4)), []);
    expect(() => SafetensorsDir.open(stray)).toThrow(`${join(stray, shardFileName(3, 4))}: a shard that`);
  });

  it("an index sending the reader outside the directory, or not an index at all", () => {
    const dir = broken((m) => {
      m["head.weight"] = "../elsewhere.safetensors";
    });
    expect(() => SafetensorsDir.open(dir)).toThrow(
      `weight_map["head.weight"] is "../elsewhere.safetensors", expected a .safetensors file name in this directory`,
    );
    writeFileSync(join(dir, INDEX_FILE), '{"weight_map": [');
    expect(() => SafetensorsDir.open(dir)).toThrow(`${join(dir, INDEX_FILE)}: not valid JSON`);
    truncateSync(join(dir, INDEX_FILE), 100_000_001); // sparse: nothing is read
    expect(() => SafetensorsDir.open(dir)).toThrow(
      "100000001 bytes exceeds the 100000000-byte limit for an index",
    );
  });

  it("both layouts at once, shards without an index, a truncated shard, PyTorch pickles, nothing", () => {
    const both = fresh();
    writeSafetensorsDir(both, tensors().spec, { shardSize: "1KB" });
    writeSafetensorsStream(join(both, SINGLE_FILE), []);
    expect(() => SafetensorsDir.open(both)).toThrow(`holds both ${SINGLE_FILE} and ${INDEX_FILE}`);
    rmSync(join(both, INDEX_FILE));
    expect(() => SafetensorsDir.open(both)).toThrow(`a shard beside ${SINGLE_FILE} with no ${INDEX_FILE}`);
    rmSync(join(both, SINGLE_FILE));
    expect(() => SafetensorsDir.open(both)).toThrow(`${both}: holds ${s(0)} but no ${INDEX_FILE}`);

    const cut = fresh();
    writeSafetensorsDir(cut, tensors().spec, { shardSize: "1KB" });
    const shard = join(cut, s(1));
    writeFileSync(shard, readFileSync(shard).subarray(0, 100));
    expect(() => SafetensorsDir.open(cut)).toThrow(shard);

    const bin = fresh();
    mkdirSync(bin);
    writeFileSync(join(bin, "pytorch_model.bin"), "");
    expect(() => SafetensorsDir.open(bin)).toThrow("PyTorch pickle weights are not read here");
    rmSync(join(bin, "pytorch_model.bin"));
    expect(() => SafetensorsDir.open(bin)).toThrow(`${bin}: expected ${SINGLE_FILE} or ${INDEX_FILE}`);
  });
});
