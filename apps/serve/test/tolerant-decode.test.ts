// A sampled id in the padded rows of the vocabulary names no token: serve decodes it to nothing
// instead of failing the request.
import { defaultTokenizerFiles, loadTokenizer } from "@neox/tokenize";
import { describe, expect, it } from "vitest";
import { tolerantDecode } from "../src/main";

describe("tolerantDecode", () => {
  it("skips ids past the tokenizer's vocabulary and keeps every other method", async () => {
    const raw = await loadTokenizer(defaultTokenizerFiles()); // GPT-2's BPE: 50257 ids, padded to 50304 by models
    expect(() => raw.decode([104, 105, raw.vocabSize + 3])).toThrow();
    const t = tolerantDecode(raw);
    expect(t.decode([104, raw.vocabSize + 3, 105])).toBe(raw.decode([104, 105]));
    expect(t.encode("hi there")).toEqual(raw.encode("hi there"));
    expect(t.vocabSize).toBe(raw.vocabSize);
    expect(t.eod).toBe(raw.eod);
  });
});
