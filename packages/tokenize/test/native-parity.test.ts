// Our byte-level BPE against Hugging Face's native (Rust) `tokenizers`, the engine GPT-NeoX runs, on
// real text and on random strings drawn from the characters where regex engines disagree (Unicode
// whitespace, marks, digits of other scripts, astral characters).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer as NativeTokenizer } from "tokenizers";
import { describe, expect, it } from "vitest";
import { HFTokenizer } from "../src/hf-tokenizer";
import { sharedDataOrSkip } from "./shared-data";

const data = sharedDataOrSkip();

const ALPHABET = [
  ..."aZé ß'sdlmtrev0975.,-!?\t\n\r",
  "\u000b",
  "\u000c",
  "\u0085",
  "\u00a0",
  "\u1680",
  "\u2003",
  "\u200b",
  "\u2028",
  "\u202f",
  "\u3000",
  "\ufeff",
  "\u0301",
  "\u0663",
  "\u2167",
  "漢",
  "😀",
  "𝕏",
  "  ",
  "   ",
  "<|endoftext|>",
];

/** A small deterministic generator (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// GPT-2's file with the ByteLevel pre-tokenizer's add_prefix_space on (RoBERTa-style), written once.
function prefixSpaceVariant(): string {
  const json = JSON.parse(readFileSync(join(data ?? "", "tokenizers/gpt2/tokenizer.json"), "utf8"));
  json.pre_tokenizer.add_prefix_space = true;
  const path = join(mkdtempSync(join(tmpdir(), "tokenize-native-")), "gpt2-prefix-space.json");
  writeFileSync(path, JSON.stringify(json));
  return path;
}

describe.skipIf(!data)("byte-level BPE equals native Hugging Face tokenizers", () => {
  for (const file of ["gpt2/tokenizer.json", "gpt-neox-20b/tokenizer.json", "gpt2 with add_prefix_space"]) {
    it(`${file}: 3000 random strings and real text`, async () => {
      const path = file.includes(" ") ? prefixSpaceVariant() : join(data ?? "", "tokenizers", file);
      const native = NativeTokenizer.fromFile(path);
      const ours = new HFTokenizer(path);
      const rand = rng(12345);
      const texts: string[] = [];
      for (let i = 0; i < 3000; i++) {
        let s = "";
        const n = 1 + Math.floor(rand() * 30);
        for (let k = 0; k < n; k++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
        texts.push(s);
      }
      texts.push(
        ...readFileSync(join(data ?? "", "corpora/wikitext-2-raw/wiki.test.raw"), "utf8")
          .slice(0, 300_000)
          .split("\r\n"),
      );
      const encs = await native.encodeBatch(texts, { addSpecialTokens: true });
      let mismatches = 0;
      texts.forEach((t, i) => {
        const want = encs[i]!.getIds();
        const got = ours.encode(t);
        if (mismatches < 5) expect(got, JSON.stringify(t)).toEqual(want);
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches++;
      });
      expect(mismatches).toBe(0);
    });
  }
});
