// The hand-written pre-tokenizer scanner against GPT-2's regex (with Oniguruma's \s), on real text and
// on random strings over the characters that decide word boundaries.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GPT2_PATTERN, scanPreTokens } from "../src/bpe/pretokenize";
import { sharedDataOrSkip } from "./shared-data";

const byRegex = (t: string) => [...t.matchAll(new RegExp(GPT2_PATTERN))].map((m) => m[0]);
function byScanner(t: string): string[] {
  const out: string[] = [];
  scanPreTokens(t, (s, e) => out.push(t.slice(s, e)));
  return out;
}

const PIECES = [
  ..."aZé ß'sdltmrevSL0975.,-!?\t\n\r_",
  "\u000b",
  "\u0085",
  "\u00a0",
  "\u1680",
  "\u2003",
  "\u2028",
  "\u3000",
  "\ufeff",
  "\u200b",
  "\u0301",
  "\u0663",
  "\u2167",
  "漢",
  "😀",
  "𝕏",
  "\ud835\udfd8",
  "\ud800",
  "\udfff",
  "'re",
  "'ll",
  "'ve",
];

describe("scanPreTokens equals GPT-2's regex", () => {
  it("on 20000 random strings", () => {
    let a = 7;
    const rand = () => {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      return a / 4294967296;
    };
    for (let k = 0; k < 20000; k++) {
      let t = "";
      const n = Math.floor(rand() * 20);
      for (let i = 0; i < n; i++) t += PIECES[Math.floor(rand() * PIECES.length)];
      expect(byScanner(t), JSON.stringify(t)).toEqual(byRegex(t));
    }
  });

  const data = sharedDataOrSkip();
  it.skipIf(!data)("on WikiText and Shakespeare", () => {
    for (const f of ["corpora/wikitext-2-raw/wiki.test.raw", "corpora/tinyshakespeare.txt"]) {
      const text = readFileSync(join(data ?? "", f), "utf8");
      const got = byScanner(text);
      expect(got.length).toBeGreaterThan(200_000);
      expect(got.join("\u0000") === byRegex(text).join("\u0000")).toBe(true);
    }
  });
});
