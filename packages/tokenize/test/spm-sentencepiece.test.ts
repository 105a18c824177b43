// SPMTokenizer against Google's SentencePiece on 1000 corpus lines and 3000 random strings; the ids
// are in test/fixtures/spm-llama2.json, made by tools/fixtures/tokenize/spm_llama2.py (see there to
// regenerate). Corpus lines are named by file and line, so the text is read from ../shared.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SPMTokenizer } from "../src/spm-tokenizer";
import { sharedDataOrSkip } from "./shared-data";

const data = sharedDataOrSkip();

interface Fixture {
  model_md5: string;
  alphabet: string[];
  seed: number;
  lines: { file: string; line: number; ids: number[] }[];
  random: { ids: number[] }[];
}

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, "fixtures/spm-llama2.json"), "utf8"),
) as Fixture;

/** The fixture script's 32-bit xorshift and string recipe, step for step. */
function randomStrings(count: number, seed: number, alphabet: string[]): string[] {
  let s = seed >>> 0;
  const next = () => {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    return s;
  };
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const n = 1 + (next() % 24);
    let t = "";
    for (let i = 0; i < n; i++) t += alphabet[next() % alphabet.length];
    out.push(t);
  }
  return out;
}

describe.skipIf(!data)("SPMTokenizer equals SentencePiece", () => {
  const model = join(data ?? "", "tokenizers/llama2/tokenizer.model");

  it("is checked against the same model file", () => {
    expect(createHash("md5").update(readFileSync(model)).digest("hex")).toBe(fixture.model_md5);
  });

  it("on corpus lines", () => {
    const tk = new SPMTokenizer(model);
    const files = new Map<string, string[]>();
    expect(fixture.lines.length).toBe(1000);
    for (const c of fixture.lines) {
      if (!files.has(c.file)) files.set(c.file, readFileSync(join(data ?? "", c.file), "utf8").split("\n"));
      let text = files.get(c.file)![c.line - 1]!;
      if (c.file.endsWith(".jsonl")) text = (JSON.parse(text) as { text: string }).text;
      expect(tk.encode(text), `${c.file}:${c.line}`).toEqual(c.ids);
    }
  });

  it("on random strings of spaces, tabs, combining marks, CJK, emoji and piece-like text", () => {
    const tk = new SPMTokenizer(model);
    const texts = randomStrings(fixture.random.length, fixture.seed, fixture.alphabet);
    texts.forEach((t, i) => {
      expect(tk.encode(t), JSON.stringify(t)).toEqual(fixture.random[i]!.ids);
    });
  });
});
