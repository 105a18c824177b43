// The streaming writer: the same bytes as the in-memory encoder, {"format": "pt"} by default, each
// producer asked once, in data order, after the tensors before it are already on disk, and a
// failing or lying producer leaving the previous file (or none) and no temporary.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  encodeSafetensors,
  HF_METADATA,
  SafetensorsFile,
  type StreamedTensor,
  writeSafetensorsStream,
} from "../src/io/safetensors";

const dir = mkdtempSync(join(tmpdir(), "safetensors-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f32 = (n: number, k = 1) => Float32Array.from({ length: n }, (_, i) => (i - n / 3) * k);
const bf16 = (n: number) => Uint16Array.from({ length: n }, (_, i) => 0x3f80 + i);

describe("writeSafetensorsStream", () => {
  it("writes the in-memory encoder's bytes, with format pt merged into the metadata", () => {
    const path = join(dir, "same.safetensors");
    const tensors: StreamedTensor[] = [
      { name: "z.weight", dtype: "f32", shape: [4, 3], data: () => f32(12) },
      { name: "a.bias", dtype: "bf16", shape: [5], data: () => bf16(5) },
      { name: "m", dtype: "I64", shape: [2], data: () => BigInt64Array.from([3n, -3n]) },
    ];
    const written = writeSafetensorsStream(path, tensors, { note: "x" });
    const expected = encodeSafetensors(
      {
        "z.weight": { dtype: "f32", shape: [4, 3], data: f32(12) },
        "a.bias": { dtype: "bf16", shape: [5], data: bf16(5) },
        m: { dtype: "I64", shape: [2], data: BigInt64Array.from([3n, -3n]) },
      },
      { format: "pt", note: "x" },
    );
    const bytes = new Uint8Array(readFileSync(path));
    expect(bytes).toEqual(expected);
    expect(written.bytes).toBe(expected.length);
    const f = SafetensorsFile.open(path);
    expect(f.metadata).toEqual({ format: "pt", note: "x" });
    expect(written.order).toEqual(f.names());
    f.close();
    expect(HF_METADATA).toEqual({ format: "pt" });
  });

  it("asks each producer once, in data order, after the tensors before it are on disk", () => {
    const path = join(dir, "order.safetensors");
    const calls: { name: string; onDisk: number }[] = [];
    const tmpSize = () => {
      const tmp = readdirSync(dir).filter((f) => f.startsWith("order.safetensors.tmp-"));
      expect(tmp).toHaveLength(1);
      return statSync(join(dir, tmp[0]!)).size;
    };
    const sizes: Record<string, number> = { c: 40, a: 8, b: 400 };
    const tensors: StreamedTensor[] = Object.entries(sizes).map(([name, n]) => ({
      name,
      dtype: "f32",
      shape: [n],
      data: () => {
        calls.push({ name, onDisk: tmpSize() });
        return f32(n, 2);
      },
    }));
    writeSafetensorsStream(path, tensors);
    const f = SafetensorsFile.open(path);
    expect(calls.map((c) => c.name)).toEqual(f.names());
    // Before tensor k is produced, the file holds the header and every tensor before k.
    const headerBytes = statSync(path).size - Object.values(sizes).reduce((a, n) => a + 4 * n, 0);
    let before = headerBytes;
    for (const c of calls) {
      expect(c.onDisk, c.name).toBe(before);
      before += 4 * sizes[c.name]!;
    }
    for (const [name, n] of Object.entries(sizes)) expect(f.readArray(name)).toEqual(f32(n, 2));
    f.close();
  });

  it("accepts a tensor's bytes in pieces", () => {
    const whole = join(dir, "whole.safetensors");
    const split = join(dir, "split.safetensors");
    const data = f32(100);
    writeSafetensorsStream(whole, [{ name: "w", dtype: "f32", shape: [10, 10], data: () => data }]);
    const pieces = function* () {
      for (let i = 0; i < 100; i += 30) yield data.subarray(i, Math.min(100, i + 30));
    };
    writeSafetensorsStream(split, [{ name: "w", dtype: "f32", shape: [10, 10], data: pieces }]);
    expect(readFileSync(split)).toEqual(readFileSync(whole));
  });

  it("a producer giving too few or too many bytes, or throwing, leaves the old file and no temporary", () => {
    const path = join(dir, "keep.safetensors");
    writeFileSync(path, "old");
    const short: StreamedTensor = { name: "s", dtype: "f32", shape: [4], data: () => f32(3) };
    expect(() => writeSafetensorsStream(path, [short])).toThrow(
      `${path}: tensor "s" F32 [4] needs 16 bytes, its producer gave 12`,
    );
    const long: StreamedTensor = { name: "l", dtype: "u8", shape: [2], data: () => new Uint8Array(3) };
    expect(() => writeSafetensorsStream(path, [long])).toThrow(
      `tensor "l" U8 [2] needs 2 bytes, its producer gave more`,
    );
    const boom: StreamedTensor = {
      name: "t",
      dtype: "f32",
      shape: [1],
      data: () => {
        throw new Error("device lost");
      },
    };
    expect(() => writeSafetensorsStream(path, [{ ...short, data: () => f32(4) }, boom])).toThrow(
      "device lost",
    );
    expect(readFileSync(path, "utf8")).toBe("old");
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
    const fresh = join(dir, "never.safetensors");
    expect(() => writeSafetensorsStream(fresh, [boom])).toThrow("device lost");
    expect(existsSync(fresh)).toBe(false);
  });

  it("refuses a name given twice, an unknown dtype, and a bad shape before writing anything", () => {
    const path = join(dir, "bad.safetensors");
    const t = (name: string, dtype: string, shape: number[]): StreamedTensor => ({
      name,
      dtype: dtype as never,
      shape,
      data: () => new Uint8Array(0),
    });
    expect(() => writeSafetensorsStream(path, [t("a", "u8", [0]), t("a", "u8", [0])])).toThrow(
      '"a" is given twice',
    );
    expect(() => writeSafetensorsStream(path, [t("a", "f33", [0])])).toThrow('"a" has unknown dtype "f33"');
    expect(() => writeSafetensorsStream(path, [t("a", "f32", [-1])])).toThrow("shape [-1]");
    expect(() => writeSafetensorsStream(path, [t("a", "f32", [2 ** 30, 2 ** 30])])).toThrow("too large");
    expect(existsSync(path)).toBe(false);
  });
});
