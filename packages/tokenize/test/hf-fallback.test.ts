// A tokenizer.json our byte-level engine does not cover runs on the Hugging Face reference engine,
// and says why.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HFTokenizer } from "../src/hf-tokenizer";
import { sharedDataOrSkip } from "./shared-data";

const data = sharedDataOrSkip();
const dir = mkdtempSync(join(tmpdir(), "tokenize-fallback-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!data)("HFTokenizer engine choice", () => {
  it("a Lowercase normalizer falls back to the reference engine with the reason", () => {
    const src = join(data ?? "", "tokenizers/gpt2/tokenizer.json");
    const json = JSON.parse(readFileSync(src, "utf8"));
    json.normalizer = { type: "Lowercase" };
    const file = join(dir, "lower.json");
    writeFileSync(file, JSON.stringify(json));
    const lower = new HFTokenizer(file);
    expect(lower.engine).toBe("hf-reference");
    expect(lower.fallbackReason).toBe("normalizer Lowercase");
    const plain = new HFTokenizer(src);
    expect(lower.encode("Hello World")).toEqual(plain.encode("hello world"));
    expect(lower.encode("Hello World")).not.toEqual(plain.encode("Hello World"));
    expect([lower.vocabSize, lower.eod]).toEqual([50257, 50256]);
  });

  it("a tokenizer.json without <|endoftext|> is refused, naming the file", () => {
    const json = JSON.parse(readFileSync(join(data ?? "", "tokenizers/gpt2/tokenizer.json"), "utf8"));
    json.added_tokens = [];
    delete json.model.vocab["<|endoftext|>"];
    const file = join(dir, "no-eod.json");
    writeFileSync(file, JSON.stringify(json));
    expect(() => new HFTokenizer(file)).toThrow(`${file} has no "<|endoftext|>" token`);
  });
});
