// The SentencePiece model reader against hostile bytes: one test per class of malformed input, each
// with several members, every one a ProtoError naming the file and a byte offset. Models are built
// here with a small protobuf writer, so each test says exactly which bytes are wrong.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_SPM_PIECES, parseSpmModel } from "../src/spm/model-proto";
import { ProtoError } from "../src/spm/protobuf";
import { sharedDataOrSkip } from "./shared-data";

// --- a tiny protobuf writer --------------------------------------------------------------------
const varint = (n: number | bigint): number[] => {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int32/int64 negatives are 10-byte two's complement
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
};
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const len = (field: number, body: number[]) => [...tag(field, 2), ...varint(body.length), ...body];
const vint = (field: number, v: number) => [...tag(field, 0), ...varint(v)];
const f32 = (field: number, x: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return [...tag(field, 5), ...b];
};
const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const piece = (text: string, score = 0, type = 1) =>
  len(1, [...len(1, utf8(text)), ...f32(2, score), ...vint(3, type)]);
/** `inner` wrapped in `depth` length-delimited fields 15, built outside-in in one pass. */
const nest = (depth: number, inner: number[]): number[] => {
  const prefixes: number[][] = [];
  let size = inner.length;
  for (let i = 0; i < depth; i++) {
    const p = [...tag(15, 2), ...varint(size)];
    prefixes.push(p);
    size += p.length;
  }
  return [...prefixes.reverse().flat(), ...inner];
};
const trainer = (...fields: number[][]) => len(2, fields.flat());
const BPE = trainer(vint(3, 2));
/** A valid BPE model: <unk>, <s>, </s>, then `extra` normal pieces. */
const model = (...parts: number[][]) =>
  Uint8Array.from([...piece("<unk>", 0, 2), ...piece("<s>", 0, 3), ...piece("</s>", 0, 3), ...parts.flat()]);

const FILE = "hostile.model";
const rejects = (bytes: Uint8Array | number[], pattern: RegExp) => {
  const buf = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  let err: unknown;
  try {
    parseSpmModel(buf, FILE);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ProtoError matching ${pattern}`).toBeInstanceOf(ProtoError);
  const message = (err as Error).message;
  expect(message.startsWith(`${FILE} (`) || message.startsWith(`${FILE}:`), message).toBe(true);
  expect(message).toMatch(pattern);
  expect(message).not.toContain("\n");
  return message;
};

describe("SentencePiece model reader", () => {
  it("reads a well-formed model built here", () => {
    const m = parseSpmModel(model(BPE, piece("a", -1), piece("b", -2), piece("\ufeff", -3)), FILE);
    expect(m.pieces.map((p) => p.piece)).toEqual(["<unk>", "<s>", "</s>", "a", "b", "\ufeff"]);
    expect(m.pieces[4]).toEqual({ piece: "b", score: -2, type: 1 });
    expect(m.modelType).toBe(2);
  });

  it("refuses malformed varints: truncated, over 10 bytes, over 64 bits, as a tag or a value", () => {
    const ok = model(BPE);
    const at = ok.length;
    rejects([...ok, 0x08], new RegExp(`the value of field 1 at byte ${at + 1} runs past the end`));
    rejects([...ok, 0x80], new RegExp(`a field tag at byte ${at} runs past the end`));
    rejects([...ok, 0x08, ...Array(10).fill(0xff), 0x01], /at byte \d+ overflows 64 bits/);
    rejects([...ok, 0x08, ...Array(9).fill(0xff), 0x02], new RegExp(`at byte ${at + 1} overflows 64 bits`));
    rejects([...ok, ...Array(9).fill(0x80), 0x7f], new RegExp(`a field tag at byte ${at} overflows 64 bits`));
    // tag varints that decode to field numbers protobuf does not have
    rejects([...ok, ...varint(0 * 8 + 0), 0x01], new RegExp(`field number 0 at byte ${at}`));
    rejects([...ok, ...varint(2 ** 29 * 8), 0x01], /field number 536870912 at byte \d+ is not a valid/);
  });

  it("refuses lengths past the end of their message, at every level", () => {
    const ok = model(BPE);
    const at = ok.length;
    // ModelProto level: a piece claiming 100 bytes with 2 left
    rejects(
      [...ok, ...tag(1, 2), 100, 0x0a, 0x00],
      new RegExp(`field 1 at byte ${at} needs 100 bytes, but only 2`),
    );
    // inside a piece: the string claims more than the piece holds
    rejects(
      [...ok, ...len(1, [...tag(1, 2), 9, 0x61])],
      /pieces\[3\]\).*field 1 at byte \d+ needs 9 bytes, but only 1/,
    );
    // a length of 2^63 − 1 and of 2^53 + 1
    rejects([...ok, ...tag(4, 2), ...varint((1n << 63n) - 1n)], /field 4 at byte \d+ needs \d+ bytes/);
    rejects([...ok, ...tag(5, 2), ...varint(2 ** 53 + 2)], /field 5 at byte \d+ needs \d+ bytes/);
    // a truncated fixed-width value
    rejects([...ok, ...tag(7, 5), 0x00, 0x00], /field 7 at byte \d+ needs 4 bytes, but only 2/);
    rejects([...ok, ...tag(7, 1), 0x00], /field 7 at byte \d+ needs 8 bytes, but only 1/);
  });

  it("refuses fields of the wrong wire type, and groups and reserved wire types", () => {
    rejects(model(BPE, vint(1, 5)), /field 1 \(pieces\) at byte \d+ is a varint, expected length-delimited/);
    rejects(
      model(f32(2, 1)),
      /field 2 \(trainer_spec\) at byte \d+ is a 32-bit value, expected length-delimited/,
    );
    rejects(model(vint(3, 1)), /field 3 \(normalizer_spec\) at byte \d+ is a varint/);
    rejects(
      model(BPE, len(1, [...len(1, utf8("x")), ...vint(2, 1)])),
      /\(pieces\[3\]\).*score.*is a varint, expected a 32-bit/,
    );
    rejects(model(BPE, len(1, [...f32(1, 1)])), /\(pieces\[3\]\).*\(piece\).*is a 32-bit value/);
    rejects(
      model(trainer(len(3, [2]))),
      /\(trainer_spec\).*\(model_type\).*is length-delimited, expected a varint/,
    );
    rejects(model(len(3, f32(3, 1))), /\(normalizer_spec\).*\(add_dummy_prefix\)/);
    for (const wire of [3, 4, 6, 7])
      rejects(model(BPE, [...tag(9, wire), 0]), new RegExp(`field 9 at byte \\d+ has wire type ${wire}`));
  });

  it("walks deep or self-similar submessages without recursing into fields it does not know", () => {
    // 10,000 nested length-delimited fields inside an unknown field of ModelProto and of a piece
    const deep = nest(10_000, [0x08, 0x01]);
    const t0 = Date.now();
    const m = parseSpmModel(model(BPE, deep, len(1, [...len(1, utf8("x")), ...deep])), FILE);
    expect(m.pieces.at(-1)!.piece).toBe("x");
    // a piece whose payload is itself a whole model: read as a piece, its inner pieces are not walked
    const inner = model(BPE, piece("y"));
    const m2 = parseSpmModel(model(BPE, len(1, [...len(1, utf8("z")), ...len(9, [...inner])])), FILE);
    expect(m2.pieces.map((p) => p.piece)).toEqual(["<unk>", "<s>", "</s>", "z"]);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("refuses absurd piece counts, and values SentencePiece refuses", () => {
    const many = model(BPE, ...Array.from({ length: 10 }, (_, i) => piece(`p${i}`)));
    expect(parseSpmModel(many, FILE, 13).pieces).toHaveLength(13);
    expect(() => parseSpmModel(many, FILE, 12)).toThrow(/more than 12 pieces \(at byte \d+\)/);
    expect(MAX_SPM_PIECES).toBeGreaterThanOrEqual(256_000 * 4);
    rejects(Uint8Array.from([]), /no pieces/);
    rejects(Uint8Array.from(BPE), /no pieces/);
    rejects(model(piece("")), /pieces\[3\]\): the piece at byte \d+ is empty/);
    rejects(model(len(1, [...f32(2, 1)])), /pieces\[3\]\): the piece at byte \d+ is empty/);
    rejects(
      model(len(1, [...len(1, [0xc3, 0x28])])),
      /pieces\[3\]\).*\(piece\) at byte \d+ is not valid UTF-8/,
    );
    rejects(model(piece("n", Number.NaN)), /pieces\[3\]\): score at byte \d+ is NaN/);
    for (const type of [0, 7, -1, 2 ** 31 - 1])
      rejects(
        model(piece("t", 0, type)),
        new RegExp(`type ${type} at byte \\d+ is not a SentencePiece piece type`),
      );
    for (const type of [0, 5, -3])
      rejects(model(trainer(vint(3, type))), /model_type -?\d+ at byte \d+ is not a/);
    rejects(model(trainer(vint(40, 3))), /unk_id 3 is outside the 3 pieces/);
    rejects(model(trainer(vint(40, -1))), /unk_id -1 is outside/);
    rejects(model(trainer(vint(41, 99))), /bos_id 99 is outside/);
    rejects(model(trainer(vint(42, -2))), /eos_id -2 is outside/);
    rejects(model(trainer(vint(43, 2 ** 31 - 1))), /pad_id 2147483647 is outside/);
    // -1 (none) is allowed for bos, eos and pad
    expect(parseSpmModel(model(trainer(vint(41, -1), vint(42, -1))), FILE).bosId).toBe(-1);
  });
});

const data = sharedDataOrSkip();

describe.skipIf(!data)("SentencePiece model reader on Llama 2's tokenizer.model", () => {
  const path = join(data ?? "", "tokenizers/llama2/tokenizer.model");

  it("keeps a piece that is U+FEFF itself (a decoder's default would strip it as a BOM)", () => {
    const m = parseSpmModel(readFileSync(path), path);
    expect(m.pieces).toHaveLength(32000);
    expect(m.pieces.filter((p) => p.piece === "\ufeff")).toHaveLength(1);
    expect(m.pieces.every((p) => p.piece.length > 0)).toBe(true);
  });

  it("every truncation in the first 4 KiB and the last 16 bytes parses or is a ProtoError", () => {
    const bytes = readFileSync(path);
    const cuts = [
      ...Array.from({ length: 4096 }, (_, i) => i),
      ...Array.from({ length: 16 }, (_, i) => bytes.length - 1 - i),
    ];
    let refused = 0;
    for (const n of cuts) {
      try {
        parseSpmModel(bytes.subarray(0, n), path);
      } catch (err) {
        expect(err, `cut at ${n}`).toBeInstanceOf(ProtoError);
        expect((err as Error).message).toMatch(/byte \d+|no pieces|outside the/);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(cuts.length / 2); // a cut inside a field is always malformed
  });
});
