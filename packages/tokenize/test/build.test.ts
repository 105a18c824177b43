// loadTokenizer: each GPT-NeoX tokenizer type with its eod / pad / vocab_size, and clear errors.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTokenizer, resolveTokenizerType } from "../src/index";
import { sharedDataOrSkip } from "./shared-data";

const data = sharedDataOrSkip();
const tok = (p: string) => join(data ?? "", "tokenizers", p);

describe("tokenizer types", () => {
  it("resolves type names case-insensitively, as GPT-NeoX does", () => {
    expect(resolveTokenizerType("hftokenizer")).toBe("HFTokenizer");
    expect(() => resolveTokenizerType("BPE")).toThrow(/unknown tokenizer type "BPE".*GPT2BPETokenizer/);
  });

  it("CharLevelTokenizer: UTF-8 bytes, vocab 512, eod 0, pad 1, lossy clamp decode", async () => {
    const tk = await loadTokenizer({ tokenizerType: "CharLevelTokenizer" });
    expect([tk.vocabSize, tk.eod, tk.pad]).toEqual([512, 0, 1]);
    expect(tk.encode("hé\n")).toEqual([0x68, 0xc3, 0xa9, 0x0a]);
    // chr(clamp(t, 32, 512)): newline (10) becomes a space, bytes stay Latin-1 characters.
    expect(tk.decode([0x68, 0xc3, 0xa9, 0x0a])).toBe("h\u00c3\u00a9 ");
  });

  it("names the missing flag", async () => {
    await expect(loadTokenizer({ tokenizerType: "GPT2BPETokenizer", vocabFile: "v.json" })).rejects.toThrow(
      /GPT2BPETokenizer needs --merge-file/,
    );
    await expect(loadTokenizer({ tokenizerType: "HFTokenizer" })).rejects.toThrow(/needs --vocab-file/);
    await expect(loadTokenizer({ tokenizerType: "TiktokenTokenizer", vocabFile: "cl200k" })).rejects.toThrow(
      /unknown encoding "cl200k".*cl100k_base/,
    );
  });

  it("TiktokenTokenizer cl100k_base: n_vocab 100277, eot 100257", async () => {
    const tk = await loadTokenizer({ tokenizerType: "TiktokenTokenizer", vocabFile: "cl100k_base" });
    expect([tk.vocabSize, tk.eod, tk.pad]).toEqual([100277, 100257, undefined]);
    expect(tk.encode("hello world")).toEqual([15339, 1917]);
    expect(tk.decode(tk.encode("naïve café <|endoftext|>"))).toBe("naïve café <|endoftext|>");
    expect(tk.encode("<|endoftext|>")).toEqual([100257]);
  });
});

describe.skipIf(!data)("tokenizer types on real tokenizer files", () => {
  it("GPT2BPETokenizer: vocab 50257, eod 50256, no pad", async () => {
    const tk = await loadTokenizer({
      tokenizerType: "GPT2BPETokenizer",
      vocabFile: tok("gpt2/vocab.json"),
      mergeFile: tok("gpt2/merges.txt"),
    });
    expect([tk.vocabSize, tk.eod, tk.pad]).toEqual([50257, 50256, undefined]);
    expect(tk.encode("a<|endoftext|>b")).toEqual([64, 50256, 65]);
  });

  it("HFTokenizer GPT-NeoX-20B: vocab 50277, eod 0, pad 1", async () => {
    const tk = await loadTokenizer({
      tokenizerType: "HFTokenizer",
      vocabFile: tok("gpt-neox-20b/tokenizer.json"),
    });
    expect([tk.vocabSize, tk.eod, tk.pad]).toEqual([50277, 0, 1]);
    expect(tk.engine).toBe("byte-level-bpe");
  });

  it("HFGPT2Tokenizer: adds <|padding|> as 50257, vocab 50258", async () => {
    const tk = await loadTokenizer({ tokenizerType: "HFGPT2Tokenizer", vocabFile: tok("gpt2") });
    expect([tk.vocabSize, tk.eod, tk.pad]).toEqual([50258, 50256, 50257]);
    expect(tk.encode("<|padding|>")).toEqual([50257]);
  });

  it("a file that is not a tokenizer gets an error naming it", async () => {
    const f = tok("gpt2/merges.txt");
    await expect(loadTokenizer({ tokenizerType: "HFTokenizer", vocabFile: f })).rejects.toThrow(
      new RegExp(`${f}: not valid JSON`),
    );
    await expect(
      loadTokenizer({ tokenizerType: "SPMTokenizer", vocabFile: tok("gpt2/vocab.json") }),
    ).rejects.toThrow(/vocab.json/);
  });
});
