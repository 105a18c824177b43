// llama.cpp's llama-spm vectors against Llama 2's tokenizer.model, through our protobuf reader and
// SentencePiece BPE.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SPMTokenizer } from "../src/spm-tokenizer";
import { readVectors, sharedDataOrSkip } from "./shared-data";

const data = sharedDataOrSkip();

describe.skipIf(!data)("SPMTokenizer (Llama 2 tokenizer.model)", () => {
  const dir = join(data ?? "", "tokenizers");
  it("reads the model header as SentencePiece wrote it", () => {
    const tk = new SPMTokenizer(join(dir, "llama2/tokenizer.model"));
    expect(tk.vocabSize).toBe(32000);
    expect(tk.model.byteFallback).toBe(true);
    expect(tk.model.addDummyPrefix).toBe(true);
    expect(tk.model.removeExtraWhitespaces).toBe(false);
    expect(tk.eod).toBe(2); // </s>: Llama's model has no <|endoftext|> piece
    expect(tk.pad).toBeUndefined();
  });

  it("matches the 46 llama-spm vectors and decodes them back", () => {
    const vectors = readVectors(
      readFileSync(join(dir, "test-vectors/ggml-vocab-llama-spm.gguf.inp"), "utf8"),
      readFileSync(join(dir, "test-vectors/ggml-vocab-llama-spm.gguf.out"), "utf8"),
    );
    expect(vectors.length).toBe(46);
    const tk = new SPMTokenizer(join(dir, "llama2/tokenizer.model"));
    for (const v of vectors) {
      expect(tk.encode(v.text), JSON.stringify(v.text)).toEqual(v.ids);
      expect(tk.decode(v.ids), JSON.stringify(v.text)).toBe(v.text);
    }
  });
});
