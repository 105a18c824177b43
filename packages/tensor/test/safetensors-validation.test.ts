// The header rules of the reference reader (huggingface/safetensors read_metadata + validate), one
// case each, the fail-fast guarantees for hostile sizes, and a seeded fuzz: random damage to a valid
// file gives either a SafetensorsError naming the file or a file whose every tensor reads back whole.
// safetensors.test.ts holds the basic malformed cases; this file adds the rest.
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  encodeSafetensors,
  MAX_HEADER_BYTES,
  SAFETENSORS_DTYPES,
  SafetensorsError,
  SafetensorsFile,
} from "../src/io/safetensors";

const dir = mkdtempSync(join(tmpdir(), "safetensors-validation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let serial = 0;
/** A file from raw header text (`length` overrides the 8-byte prefix) and `dataBytes` of data. */
function rawFile(header: string, dataBytes: number, length?: bigint): string {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  const path = join(dir, `f${serial++}.safetensors`);
  writeFileSync(path, out);
  return path;
}
const entry = (dtype: string, shape: unknown, offsets: unknown) =>
  JSON.stringify({ dtype, shape, data_offsets: offsets });

/** The error `SafetensorsFile.open(path)` throws (fails the test when it opens). */
function refusal(path: string): SafetensorsError {
  try {
    SafetensorsFile.open(path).close();
  } catch (err) {
    expect(err).toBeInstanceOf(SafetensorsError);
    const e = err as SafetensorsError;
    expect(e.file).toBe(path);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
    return e;
  }
  throw new Error(`${path} opened, expected a refusal`);
}

describe("safetensors header rules", () => {
  it("a header length of 2^60 fails at byte 0, before any allocation", () => {
    const path = rawFile("{}", 0, 2n ** 60n);
    const t0 = performance.now();
    const e = refusal(path);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(e.offset).toBe(0);
    expect(e.message).toContain(`header length ${2n ** 60n} at byte 0 runs past the end of the file`);
  });

  it("a header length past the 100 MB cap is refused even when the file is that long", () => {
    // A sparse file: the length fits inside it, so only the cap can refuse it.
    const path = join(dir, "huge.safetensors");
    const fd = openSync(path, "w");
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    writeSync(fd, prefix);
    ftruncateSync(fd, MAX_HEADER_BYTES + 64);
    closeSync(fd);
    const e = refusal(path);
    expect(e.message).toContain(
      `header length ${MAX_HEADER_BYTES + 1} at byte 0 exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    );
  });

  it("a header that does not start with '{' (leading whitespace)", () => {
    const e = refusal(rawFile(' {"__metadata__":{}}', 0));
    expect(e.message).toContain('must start with "{" at byte 8');
  });

  it("__metadata__: null is no metadata (as the reference's Option), an array or a number is refused", () => {
    const f = SafetensorsFile.open(rawFile('{"__metadata__":null}', 0));
    expect(f.metadata).toEqual({});
    f.close();
    expect(refusal(rawFile('{"__metadata__":["pt"]}', 0)).message).toContain(
      "__metadata__ must be an object of strings, found an array",
    );
    expect(refusal(rawFile('{"__metadata__":7}', 0)).message).toContain("found 7");
  });

  it("an entry that is not an object, offsets that are not two integers", () => {
    expect(refusal(rawFile('{"w":[1,2]}', 0)).message).toContain(
      'tensor "w": entry is an array, expected an object',
    );
    for (const offsets of [[0, 1.5], [0, 4, 8], [-4, 0], ["0", "4"], null]) {
      const e = refusal(rawFile(`{"w":${entry("U8", [4], offsets)}}`, 4));
      expect(e.tensor).toBe("w");
      expect(e.message).toContain(`data_offsets ${JSON.stringify(offsets)} are not [begin, end]`);
    }
    const e = refusal(rawFile(`{"w":${entry("F32", [2.5], [0, 10])}}`, 10));
    expect(e.message).toContain("shape [2.5] is not a list of non-negative integers");
  });

  it("a dtype named by an inherited property is unknown", () => {
    const e = refusal(rawFile(`{"w":${entry("toString", [1], [0, 1])}}`, 1));
    expect(e.message).toContain('unknown dtype "toString"');
  });

  it("a shape claiming 2^60 bytes fails on its size, overflow-safe", () => {
    const shape = [2 ** 20, 2 ** 20, 2 ** 18]; // 2^58 F32 elements, 2^60 bytes
    const e = refusal(rawFile(`{"w":${entry("F32", shape, [0, 16])}}`, 16));
    expect(e.message).toContain(`needs ${2n ** 60n} bytes but data_offsets [0, 16] hold 16`);
  });

  it("offsets claiming 2^52 bytes, consistent with the shape, fail past the data without reading it", () => {
    const path = rawFile(`{"w":${entry("U8", [2 ** 52], [0, 2 ** 52])}}`, 16);
    const t0 = performance.now();
    const e = refusal(path);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(e.message).toContain(`data_offsets [0, ${2 ** 52}] run past the data section (16 bytes`);
  });

  it("a gap names its absolute byte offset; trailing bytes name where they start", () => {
    const header = `{"a":${entry("U8", [4], [0, 4])},"b":${entry("U8", [4], [6, 10])}}`;
    const gap = refusal(rawFile(header, 10));
    const dataStart = 8 + new TextEncoder().encode(header).length;
    expect(gap.offset).toBe(dataStart + 4);
    expect(gap.tensor).toBe("b");
    expect(gap.message).toContain(`a gap at byte ${dataStart + 4}`);
    const trailing = refusal(rawFile(`{"a":${entry("U8", [4], [0, 4])}}`, 5));
    expect(trailing.message).toMatch(/trailing bytes from byte \d+/);
    const empty = refusal(rawFile("{}", 3));
    expect(empty.message).toContain("the tensors cover 0 bytes of the 3-byte data section");
  });

  it("empty tensors sharing an offset are fine, as in the reference (sorted begin = previous end)", () => {
    const header = `{"e1":${entry("F32", [0], [0, 0])},"a":${entry("U8", [2], [0, 2])},"e2":${entry("F32", [3, 0], [2, 2])}}`;
    const f = SafetensorsFile.open(rawFile(header, 2));
    expect(f.readBytes("a").length).toBe(2);
    expect(f.readArray("e2").length).toBe(0);
    f.close();
  });

  it("a duplicated name names the byte where it appears again", () => {
    const header = `{"w":${entry("U8", [1], [0, 1])},"w":${entry("U8", [1], [1, 2])}}`;
    const e = refusal(rawFile(header, 2));
    expect(e.offset).toBe(8 + header.lastIndexOf('"w"'));
  });
});

// mulberry32: a small seeded generator, so a failing case can be replayed from its iteration number.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("safetensors fuzz", () => {
  const valid = encodeSafetensors(
    {
      "layers.0.w": { dtype: "F32", shape: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => i) },
      b: { dtype: "BF16", shape: [7], data: new Uint16Array(7).fill(0x3f80) },
      ids: { dtype: "I64", shape: [2], data: BigInt64Array.from([1n, -1n]) },
      flag: { dtype: "BOOL", shape: [3], data: Uint8Array.from([1, 0, 1]) },
      none: { dtype: "F16", shape: [0], data: new Uint16Array(0) },
    },
    { format: "pt" },
  );

  it("random flips, truncations, extensions and length prefixes: a SafetensorsError or a whole read", () => {
    const rand = rng(12);
    const path = join(dir, "fuzz.safetensors");
    const outcomes = { refused: 0, read: 0 };
    for (let iter = 0; iter < 1500; iter++) {
      let bytes = valid.slice();
      const kind = iter % 5;
      if (kind === 0 || kind === 4) {
        for (let k = 1 + Math.floor(rand() * 4); k > 0; k--)
          bytes[Math.floor(rand() * bytes.length)]! ^= 1 << Math.floor(rand() * 8);
      }
      if (kind === 1 || kind === 4) bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
      if (kind === 2) {
        const extra = new Uint8Array(1 + Math.floor(rand() * 16)).map(() => Math.floor(rand() * 256));
        bytes = Uint8Array.from([...bytes, ...extra]);
      }
      if (kind === 3) {
        const view = new DataView(bytes.buffer, bytes.byteOffset);
        const r = rand();
        const len =
          r < 0.3
            ? BigInt(Math.floor(rand() * 2 ** 32)) * BigInt(Math.floor(rand() * 2 ** 32))
            : BigInt(Math.floor(rand() * bytes.length));
        view.setBigUint64(0, len, true);
      }
      writeFileSync(path, bytes);
      let file: SafetensorsFile;
      try {
        file = SafetensorsFile.open(path);
      } catch (err) {
        expect(err, `iteration ${iter}: ${(err as Error).message}`).toBeInstanceOf(SafetensorsError);
        expect((err as Error).message.startsWith(`${path}: `)).toBe(true);
        outcomes.refused++;
        continue;
      }
      for (const e of file.entries) {
        expect(file.readBytes(e.name).length, `iteration ${iter}`).toBe(e.end - e.begin);
        expect(e.end - e.begin).toBe(e.shape.reduce((a, d) => a * d, SAFETENSORS_DTYPES[e.dtype]));
      }
      file.close();
      outcomes.read++;
    }
    // Both outcomes happen: flips in the data section read fine, most header damage is refused.
    expect(outcomes.refused).toBeGreaterThan(500);
    expect(outcomes.read).toBeGreaterThan(20);
  });
});
