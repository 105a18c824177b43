// GPT-NeoX's config keys to loadTokenizer's options: the default type and files only when strings.
import { describe, expect, it } from "vitest";
import { tokenizerOptionsFromConfig } from "../src/index";

describe("tokenizerOptionsFromConfig", () => {
  it("maps tokenizer_type, vocab_file and merge_file, defaulting the type as GPT-NeoX does", () => {
    expect(tokenizerOptionsFromConfig({})).toEqual({
      tokenizerType: "GPT2BPETokenizer",
      vocabFile: undefined,
      mergeFile: undefined,
    });
    expect(
      tokenizerOptionsFromConfig({ tokenizer_type: "HFTokenizer", vocab_file: "t.json", merge_file: null }),
    ).toEqual({ tokenizerType: "HFTokenizer", vocabFile: "t.json", mergeFile: undefined });
  });
});
