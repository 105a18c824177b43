// Fuzzes the SentencePiece model reader through the public SPMTokenizer, as `neox config show` and
// prepare-data load a `tokenizer.model`: a mutated model either loads (and then encodes and decodes
// text) or is refused with an Error naming the file, never a TypeError or RangeError, never a hang,
// and the heap stays bounded. Seeds are cut from Llama 2's tokenizer.model in ../shared at test
// time: whole top-level fields (pieces, trainer_spec, normalizer_spec) copied byte for byte, so each
// seed is a small real model and a round costs a millisecond instead of parsing 32,000 pieces.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SPMTokenizer } from "@neox/tokenize";
import { describe, expect, it } from "vitest";
import { haveShared, SHARED } from "../helpers/shared";
import { fuzz } from "./mutate";

/** Top-level fields of a protobuf message: field number and byte range (length-delimited only). */
function topFields(buf: Uint8Array): { number: number; start: number; end: number }[] {
  const out: { number: number; start: number; end: number }[] = [];
  let p = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 1; ; shift *= 128) {
      const b = buf[p++]!;
      v += (b & 0x7f) * shift;
      if (b < 0x80) return v;
    }
  };
  while (p < buf.length) {
    const start = p;
    const tag = varint();
    if (tag % 8 !== 2) throw new Error(`unexpected wire type at byte ${start} of the seed model`);
    const n = varint();
    p += n;
    out.push({ number: Math.floor(tag / 8), start, end: p });
  }
  return out;
}

function seeds(model: Uint8Array): Uint8Array[] {
  const fields = topFields(model);
  const pieces = fields.filter((f) => f.number === 1);
  const specs = fields.filter((f) => f.number !== 1);
  expect(pieces).toHaveLength(32000);
  const join = (parts: { start: number; end: number }[]) =>
    Uint8Array.from(parts.flatMap((f) => [...model.subarray(f.start, f.end)]));
  return [
    join([...pieces.slice(0, 400), ...specs]), // unk, bos, eos, all 256 byte pieces, merges: loads
    join([...pieces.slice(0, 3), ...pieces.slice(20000, 20060), ...specs]), // byte pieces missing
    join(pieces.slice(0, 300)), // no trainer_spec: a unigram model by default
    join([...specs, ...pieces.slice(250, 330)]), // specs first, ids point at other pieces
    // no byte pieces, and a second trainer_spec that merges in byte_fallback: false (field 35 = 0)
    Uint8Array.from([
      ...join([...pieces.slice(0, 3), ...pieces.slice(259, 700), ...specs]),
      0x12,
      3,
      0x98,
      0x02,
      0,
    ]),
  ];
}

const BUDGET_MS = Number(process.env.NEOX_FUZZ_MS ?? 5000);

describe.runIf(haveShared())("fuzz: SentencePiece model reader", () => {
  it("loads or refuses every mutated model cleanly", { timeout: BUDGET_MS + 60_000 }, () => {
    const real = new Uint8Array(readFileSync(join(SHARED, "data/tokenizers/llama2/tokenizer.model")));
    const all = seeds(real);
    const dir = mkdtempSync(join(tmpdir(), "neox-spm-fuzz-"));
    const file = join(dir, "tokenizer.model");
    // the first seed is a model SPMTokenizer accepts, so the loop also reaches encode and decode
    writeFileSync(file, all[0]!);
    expect(new SPMTokenizer(file).decode(new SPMTokenizer(file).encode("Hello wörld"))).toBe("Hello wörld");

    const t0 = Date.now();
    const report = fuzz({
      seeds: all,
      target: (input) => {
        writeFileSync(file, input);
        const tk = new SPMTokenizer(file);
        const ids = tk.encode("The quick brown fox, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and\ttabs  ");
        for (const id of ids)
          if (!Number.isInteger(id) || id < 0 || id >= tk.vocabSize)
            throw new Error(`id ${id} outside the vocabulary`);
        tk.decode(ids);
      },
      expected: (err) =>
        err instanceof Error &&
        !(err instanceof TypeError) &&
        !(err instanceof RangeError) &&
        err.message.includes(file) &&
        !err.message.includes("\n"),
      budgetMs: BUDGET_MS,
      seed: 20240602,
      maxInputMs: 2000,
    });
    const seconds = (Date.now() - t0) / 1000;
    console.log(
      `spm-proto fuzz: ${report.rounds} rounds in ${seconds.toFixed(1)} s (${(report.rounds / seconds).toFixed(0)}/s), ${report.accepted} loaded, ${report.rejected} refused`,
    );
    expect(report.accepted).toBeGreaterThan(0);
    expect(report.rejected).toBeGreaterThan(0);
  });
});
