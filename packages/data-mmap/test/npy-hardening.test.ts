// .npy files with absurd headers or data are refused with DataFormatError naming the file, the field
// and the byte offset, before anything is allocated from what they claim: shape products beyond 2^53,
// header lengths beyond the file or numpy's 10,000-byte limit, garbage descr, fortran_order or shape,
// missing or extra keys, int64 values beyond 2^53. The writer goes through temp-files.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  DataFormatError,
  loadNpy,
  NPY_MAX_HEADER_BYTES,
  NpyArrayFile,
  NpyWriter,
  saveNpy,
} from "../src/index";

const tmp = mkdtempSync(join(tmpdir(), "neox-npy-hard-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let serial = 0;

/** An .npy file of version `major`.0 with `dict` as its header (padded as numpy pads) and `data` after. */
function npy(dict: string, data: Uint8Array = new Uint8Array(0), major = 1): string {
  const start = major === 1 ? 10 : 12;
  let text = `${dict} `;
  while ((start + text.length + 1) % 64 !== 0) text += " ";
  text += "\n";
  const head = Buffer.alloc(start);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  if (major === 1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  const path = join(tmp, `f${serial++}.npy`);
  writeFileSync(path, Buffer.concat([head, Buffer.from(text, "latin1"), data]));
  return path;
}

function rejection(path: string): DataFormatError {
  try {
    new NpyArrayFile(path).close();
  } catch (e) {
    expect(e).toBeInstanceOf(DataFormatError);
    return e as DataFormatError;
  }
  throw new Error(`${path} was accepted`);
}

describe("absurd headers", () => {
  const cases: [string, () => string, string, RegExp][] = [
    [
      "a shape whose product passes 2^53",
      () => npy("{'descr': '<i4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
      "npy shape",
      /\(4294967296, 4294967296\) has more than 2\^53 elements \(beyond dimension 1\)/,
    ],
    [
      "a dimension beyond 2^53",
      () => npy("{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
      "npy header dict",
      /dimension 99999999999999999999 is beyond 2\^53/,
    ],
    [
      "a negative dimension",
      () => npy("{'descr': '<i4', 'fortran_order': False, 'shape': (-1,), }"),
      "npy header dict",
      /expected a dimension \(an integer >= 0\), found "-1,\), }/,
    ],
    [
      "a fractional dimension",
      () => npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2.5,), }"),
      "npy header dict",
      /expected "," or "\)", found "\.5,\), }/,
    ],
    [
      "a descr that is not an index dtype",
      () => npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }"),
      "npy descr",
      /expected '<i4', '<u4' or '<i8', got '<f8'/,
    ],
    [
      "a descr that is not a string",
      () => npy("{'descr': (4,), 'fortran_order': False, 'shape': (0,), }"),
      "npy descr",
      /expected a string, found \[4\]/,
    ],
    [
      "a fortran_order that is not a boolean",
      () => npy("{'descr': '<i4', 'fortran_order': 'yes', 'shape': (0,), }"),
      "npy fortran_order",
      /expected True or False, found "yes"/,
    ],
    [
      "a Fortran-order 2-D array",
      () => npy("{'descr': '<i4', 'fortran_order': True, 'shape': (1, 1), }", new Uint8Array(4)),
      "npy fortran_order",
      /expected C order/,
    ],
    [
      "a missing key",
      () => npy("{'descr': '<i4', 'shape': (0,), }"),
      "npy header dict",
      /expected the keys descr, fortran_order and shape, found descr, shape/,
    ],
    [
      "an extra key",
      () => npy("{'descr': '<i4', 'fortran_order': False, 'shape': (0,), 'x': True, }"),
      "npy header dict",
      /found descr, fortran_order, shape, x/,
    ],
    [
      "a repeated key",
      () => npy("{'descr': '<i4', 'descr': '<i8', 'fortran_order': False, 'shape': (0,), }"),
      "npy header dict",
      /key 'descr' repeated/,
    ],
    ["an unterminated string", () => npy("{'descr"), "npy header dict", /unterminated string/],
    [
      "text after the dict",
      () => npy("{'descr': '<i4', 'fortran_order': False, 'shape': (0,), } import os"),
      "npy header dict",
      /expected only padding after the dict, found " import os/,
    ],
    [
      "data shorter than the shape",
      () => npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 2), }", new Uint8Array(40)),
      "npy data",
      /shape \(3, 2\) of <i8 needs \d+ bytes, the file has \d+/,
    ],
  ];
  for (const [name, make, field, detail] of cases) {
    it(name, () => {
      const e = rejection(make());
      expect(e.field).toBe(field);
      expect(e.detail).toMatch(detail);
      expect(e.message).toMatch(/f\d+\.npy: npy /);
    });
  }

  it("a header length beyond the file, or beyond numpy's limit, is refused before it is read", () => {
    const p = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (0,), }");
    const b = readFileSync(p);
    b.writeUInt16LE(60000, 8);
    writeFileSync(p, b);
    expect(rejection(p).detail).toMatch(/60000 bytes, beyond numpy's limit of 10000/);
    const v2 = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (0,), }", undefined, 2);
    const c = readFileSync(v2);
    c.writeUInt32LE(0xffffffff, 8);
    writeFileSync(v2, c);
    expect(rejection(v2).detail).toMatch(/4294967295 bytes, beyond numpy's limit/);
    const within = readFileSync(v2);
    within.writeUInt32LE(NPY_MAX_HEADER_BYTES, 8);
    writeFileSync(v2, within);
    expect(rejection(v2).detail).toMatch(/10000 bytes from byte 12, past the end of the \d+-byte file/);
  });

  it("files too short for a magic, a version or a header length", () => {
    for (const bytes of [[], [0x93, 0x4e], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 5]]) {
      const p = join(tmp, `short${serial++}.npy`);
      writeFileSync(p, Uint8Array.from(bytes));
      expect(rejection(p).field).toMatch(/^npy (magic|header length)$/);
    }
    const p = join(tmp, `v${serial++}.npy`);
    writeFileSync(p, Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 4, 0, 0, 0]));
    expect(rejection(p).detail).toMatch(/expected 1\.0, 2\.0 or 3\.0, got 4\.0/);
  });

  it("accepts what numpy writes: versions 2.0 and 3.0, a 0-d shape, Python 2 long dimensions", () => {
    const v2 = new NpyArrayFile(
      npy("{'descr': '<u4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8), 2),
    );
    expect(v2.length).toBe(2);
    v2.close();
    const v3 = new NpyArrayFile(
      npy("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", new Uint8Array(4), 3),
    );
    expect(v3.length).toBe(1);
    v3.close();
    const long = loadNpy(
      npy(
        '{"descr": "<i4", "fortran_order": False, "shape": (1L, 2L)}',
        Uint8Array.from([1, 0, 0, 0, 2, 0, 0, 0]),
      ),
    );
    expect(long.shape).toEqual([1, 2]);
    expect(Array.from(long.data)).toEqual([1, 2]);
  });
});

describe("absurd data and reads", () => {
  it("an int64 element beyond 2^53 names its element and byte offset", () => {
    const data = Buffer.alloc(24);
    data.writeBigInt64LE(5n, 0);
    data.writeBigInt64LE(2n ** 60n, 8);
    const p = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", data);
    const f = new NpyArrayFile(p);
    const at = f.info.dataOffset + 8;
    expect(() => loadNpy(p)).toThrow(
      new RegExp(`f\\d+\\.npy: element 1 at byte ${at}: int64 value beyond 2\\^53`),
    );
    expect(f.at(0)).toBe(5);
    expect(() => f.at(1)).toThrow(DataFormatError);
    f.close();
  });

  it("reads outside the array are RangeErrors, not reads of the header or past the end", () => {
    const p = join(tmp, "ok.npy");
    saveNpy(p, "<i4", [3], Int32Array.from([7, 8, 9]));
    const f = new NpyArrayFile(p);
    expect(() => f.at(-1)).toThrow(/element -1 out of range \[0, 3\)/);
    expect(() => f.at(3)).toThrow(RangeError);
    expect(() => f.read(2, 4)).toThrow(/elements \[2, 4\) out of range/);
    expect(Array.from(f.read(1, 3))).toEqual([8, 9]);
    f.close();
  });
});

describe("NpyWriter temporaries", () => {
  it("write under <final>.tmp-<pid>-<tag>, renamed by close; abort and a short write leave nothing", () => {
    const dir = mkdtempSync(join(tmp, "w-"));
    const final = join(dir, "a.npy");
    const w = new NpyWriter(final, "<i4", [2]);
    const [tmpName] = readdirSync(dir);
    expect(tmpName).toMatch(new RegExp(`^a\\.npy\\.tmp-${process.pid}-[0-9a-z]+$`));
    w.append(Int32Array.from([1, 2]));
    w.close();
    expect(readdirSync(dir)).toEqual(["a.npy"]);
    const aborted = new NpyWriter(join(dir, "b.npy"), "<i4", [2]);
    aborted.abort();
    const short = new NpyWriter(join(dir, "c.npy"), "<i4", [2]);
    short.append(Int32Array.from([1]));
    expect(() => short.close()).toThrow(/wrote 1 of 2 elements/);
    expect(readdirSync(dir)).toEqual(["a.npy"]);
    expect(existsSync(final)).toBe(true);
  });
});
