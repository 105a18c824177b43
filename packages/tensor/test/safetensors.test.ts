// safetensors I/O: every dtype round-trips, our writer's bytes equal the Python writer's
// (tools/fixtures/models/safetensors_io.py, laid out as HF's writer lays files out), and every
// class of malformed file is refused with a message naming the file, the tensor and the offset.
// To add a malformed case: one `it` below building the header text and the data length.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { floatToBf16, floatToF16 } from "../src/dtype";
import {
  encodeSafetensors,
  SafetensorsFile,
  type SafetensorsInput,
  writeSafetensors,
} from "../src/io/safetensors";

const dir = mkdtempSync(join(tmpdir(), "safetensors-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SAMPLE = join(import.meta.dirname, "fixtures", "safetensors", "sample.safetensors");

/** A file from raw header text (`length` overrides the 8-byte prefix) and `dataBytes` of data. */
function rawFile(name: string, header: string, dataBytes: number, length?: bigint): string {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  const path = join(dir, name);
  writeFileSync(path, out);
  return path;
}

const values = (n: number): number[] => Array.from({ length: n }, (_, i) => (i - n / 2) / 3);

// The same tensors, from the same formulas, as tools/fixtures/models/safetensors_sample.py.
function sampleTensors(): Record<string, SafetensorsInput> {
  return {
    f32: { dtype: "f32", shape: [3, 4], data: Float32Array.from(values(12)) },
    bf16: { dtype: "bf16", shape: [2, 3], data: Uint16Array.from(values(6), floatToBf16) },
    f16: { dtype: "f16", shape: [5], data: Uint16Array.from(values(5), floatToF16) },
    i32: {
      dtype: "i32",
      shape: [7],
      data: Int32Array.from([-3, -2, -1, 0, 1, 2, 3], (i) => i * 1000003 - 7),
    },
    i64: { dtype: "i64", shape: [2, 2], data: BigInt64Array.from([0n, 1n, 2n, 3n], (i) => -(2n ** 40n) + i) },
    u8: { dtype: "u8", shape: [5], data: Uint8Array.from([0, 1, 127, 128, 255]) },
    u16: { dtype: "u16", shape: [2, 2], data: Uint16Array.from([0, 1, 32768, 65535]) },
    scalar: { dtype: "f32", shape: [], data: Float32Array.from([2.5]) },
    empty: { dtype: "f32", shape: [0, 3], data: new Float32Array(0) },
    "layers.0.attention.dense.weight": { dtype: "f32", shape: [2, 2], data: Float32Array.from(values(4)) },
  };
}
const SAMPLE_METADATA = { format: "pt", note: "héllo ✓" };

describe("safetensors round trip", () => {
  it("reads back every dtype, shape and the metadata it wrote", () => {
    const tensors: Record<string, SafetensorsInput> = {
      ...sampleTensors(),
      f64: { dtype: "F64", shape: [2], data: Float64Array.from([Math.PI, -1e300]) },
      i8: { dtype: "I8", shape: [3], data: Int8Array.from([-128, 0, 127]) },
      u32: { dtype: "U32", shape: [1], data: Uint32Array.from([4294967295]) },
      "0": { dtype: "u8", shape: [1], data: Uint8Array.from([9]) },
    };
    const path = join(dir, "round.safetensors");
    writeSafetensors(path, tensors, SAMPLE_METADATA);
    const f = SafetensorsFile.open(path);
    try {
      expect(f.metadata).toEqual(SAMPLE_METADATA);
      expect([...f.names()].sort()).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        if (!("data" in t)) throw new Error("sample inputs are raw");
        const e = f.entry(name);
        expect(e.shape).toEqual(t.shape);
        const got = f.readArray(name);
        expect(got.constructor).toBe(t.data.constructor);
        expect(Array.from(got as ArrayLike<number>)).toEqual(
          Array.from(t.data as unknown as ArrayLike<number>),
        );
      }
    } finally {
      f.close();
    }
  });

  it("writes exactly the bytes of the Python writer (HF's layout, padding and order)", () => {
    const expected = new Uint8Array(readFileSync(SAMPLE));
    const encoded = encodeSafetensors(sampleTensors(), SAMPLE_METADATA);
    expect(Buffer.from(encoded).equals(Buffer.from(expected))).toBe(true);
    const path = join(dir, "sample-copy.safetensors");
    writeSafetensors(path, sampleTensors(), SAMPLE_METADATA);
    expect(readFileSync(path).equals(Buffer.from(expected))).toBe(true);
    // The header is padded with spaces to a multiple of 8 and the data starts right after it.
    const n = Number(new DataView(expected.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(expected[8 + n - 1]).toBe(0x20);
  });

  it("reads the Python writer's file into the values it was built from", () => {
    const f = SafetensorsFile.open(SAMPLE);
    try {
      expect(f.entries.map((e) => e.dtype).slice(0, 2)).toEqual(["I64", "F32"]); // larger dtypes first
      expect(Array.from(f.readArray("f32") as Float32Array)).toEqual(
        Array.from(Float32Array.from(values(12))),
      );
      expect(Array.from(f.readArray("bf16") as Uint16Array)).toEqual(values(6).map(floatToBf16));
      expect(f.entry("scalar").shape).toEqual([]);
      expect(f.readArray("empty").length).toBe(0);
    } finally {
      f.close();
    }
  });

  it("replaces an existing file whole and leaves no temporary behind", () => {
    const path = join(dir, "replace.safetensors");
    writeSafetensors(path, { a: { dtype: "f32", shape: [1], data: Float32Array.from([1]) } });
    writeSafetensors(path, { b: { dtype: "i32", shape: [2], data: Int32Array.from([5, 6]) } });
    const f = SafetensorsFile.open(path);
    expect(f.names()).toEqual(["b"]);
    expect(Array.from(f.readArray("b") as Int32Array)).toEqual([5, 6]);
    f.close();
    expect(() => f.readArray("b")).toThrow(/after close\(\)/);
    expect(() =>
      writeSafetensors(path, { c: { dtype: "f32", shape: [3], data: Float32Array.from([1, 2]) } }),
    ).toThrow(/tensor "c" shape \[3\] of F32 needs 12 bytes, got 8/);
  });
});

describe("safetensors refuses malformed files", () => {
  const entry = (dtype: string, shape: number[], b: number, e: number) =>
    JSON.stringify({ dtype, shape, data_offsets: [b, e] });
  const open = (path: string) => () => SafetensorsFile.open(path);

  it("a path that is not a regular file", () => {
    expect(open(dir)).toThrow(`${dir}: not a regular file (a directory)`);
  });

  it("a file shorter than the length prefix", () => {
    const path = join(dir, "short.safetensors");
    writeFileSync(path, new Uint8Array(5));
    expect(open(path)).toThrow(`${path}: 5 bytes is too short`);
  });

  it("a header length beyond the file", () => {
    const path = rawFile("long.safetensors", "{}", 0, 4096n);
    expect(open(path)).toThrow(
      `${path}: header length 4096 at byte 0 runs past the end of the file (10 bytes`,
    );
  });

  it("a header that is not JSON, not UTF-8 or not an object", () => {
    const bad = rawFile("json.safetensors", '{"a": ', 0);
    expect(open(bad)).toThrow(new RegExp(`${bad}: header \\(bytes 8\\.\\.14\\) is not valid JSON`));
    const path = join(dir, "utf8.safetensors");
    const bytes = new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0, 0x22, 0xff, 0xfe, 0x22]);
    writeFileSync(path, bytes);
    expect(open(path)).toThrow(`${path}: header (bytes 8..12) is not valid UTF-8`);
    const arr = rawFile("array.safetensors", "[]", 0);
    expect(open(arr)).toThrow(`${arr}: header (bytes 8..10) is not a JSON object`);
  });

  it("an unknown dtype", () => {
    const path = rawFile("dtype.safetensors", `{"w":${entry("F33", [1], 0, 4)}}`, 4);
    expect(open(path)).toThrow(`${path}: tensor "w": unknown dtype "F33"`);
  });

  it("a shape whose size disagrees with its byte range", () => {
    const path = rawFile("size.safetensors", `{"w":${entry("F32", [2, 3], 0, 20)}}`, 20);
    expect(open(path)).toThrow(
      `${path}: tensor "w": shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] hold 20`,
    );
    const neg = rawFile("shape.safetensors", `{"w":${entry("F32", [-1], 0, 4)}}`, 4);
    expect(open(neg)).toThrow(`${neg}: tensor "w": shape [-1] is not a list of non-negative integers`);
  });

  it("offsets reversed, overlapping, leaving a gap, past the data, or short of its end", () => {
    const rev = rawFile("rev.safetensors", `{"w":${entry("F32", [1], 4, 0)}}`, 4);
    expect(open(rev)).toThrow(`${rev}: tensor "w": data_offsets [4,0] are not [begin, end]`);
    const hdr = (a: [number, number], b: [number, number]) =>
      `{"a":${entry("F32", [(a[1] - a[0]) / 4], ...a)},"b":${entry("F32", [(b[1] - b[0]) / 4], ...b)}}`;
    const overlap = rawFile("overlap.safetensors", hdr([0, 8], [4, 12]), 12);
    expect(open(overlap)).toThrow(
      `${overlap}: tensor "b" data_offsets [4, 12] overlap the tensor before it (ends at 8`,
    );
    const gap = rawFile("gap.safetensors", hdr([0, 4], [8, 12]), 12);
    expect(open(gap)).toThrow(`${gap}: tensor "b" starts at data offset 8 but the previous tensor ends at 4`);
    const past = rawFile("past.safetensors", hdr([0, 4], [4, 12]), 8);
    expect(open(past)).toThrow(`${past}: tensor "b" data_offsets [4, 12] run past the data section (8 bytes`);
    const trailing = rawFile("trailing.safetensors", hdr([0, 4], [4, 8]), 12);
    expect(open(trailing)).toThrow(`${trailing}: the tensors cover 8 bytes of the 12-byte data section`);
    // Entries listed out of data order are fine: the reader orders them by offset, as HF's does.
    const swapped = rawFile("swapped.safetensors", hdr([4, 8], [0, 4]), 8);
    const f = SafetensorsFile.open(swapped);
    expect(f.names()).toEqual(["b", "a"]);
    f.close();
  });

  it("a tensor named twice, and metadata that is not strings", () => {
    const dup = rawFile(
      "dup.safetensors",
      `{"w":${entry("U8", [1], 0, 1)}, "w" :${entry("U8", [1], 1, 2)}}`,
      2,
    );
    expect(open(dup)).toThrow(`${dup}: header names "w" twice`);
    const meta = rawFile("meta.safetensors", '{"__metadata__":{"step":3}}', 0);
    expect(open(meta)).toThrow(`${meta}: __metadata__["step"] is 3, expected a string`);
  });

  it("every truncation of a valid file, and every flipped header byte, with an error naming the file", () => {
    const whole = new Uint8Array(readFileSync(SAMPLE));
    const path = join(dir, "cut.safetensors");
    for (let n = 0; n < whole.length; n++) {
      writeFileSync(path, whole.subarray(0, n));
      expect(open(path), `cut at ${n}`).toThrow(path);
    }
    const headerEnd = 8 + Number(new DataView(whole.buffer).getBigUint64(0, true));
    let refused = 0;
    for (let i = 0; i < headerEnd; i++) {
      const bytes = whole.slice();
      bytes[i]! ^= 0x04;
      writeFileSync(path, bytes);
      try {
        SafetensorsFile.open(path).close(); // a flip inside a name or a metadata value stays valid
      } catch (err) {
        expect((err as Error).message.startsWith(`${path}: `), (err as Error).message).toBe(true);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(headerEnd / 4);
  });

  it("a name the file does not hold, listing what it does", () => {
    const path = join(dir, "names.safetensors");
    writeSafetensors(path, { only: { dtype: "u8", shape: [1], data: Uint8Array.from([1]) } });
    const f = SafetensorsFile.open(path);
    expect(() => f.readArray("other")).toThrow(`${path}: no tensor "other" (it holds 1: only)`);
    f.close();
  });
});
