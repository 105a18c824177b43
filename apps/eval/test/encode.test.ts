// The harness's pair encoding (trailing whitespace moves to the continuation) on the real GPT-2 BPE,
// with ids read from its vocabulary file by hand, and its left truncation on hand-checked arrays.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadTokenizer, type Tokenizer } from "@neox/tokenize";
import { beforeAll, describe, expect, it } from "vitest";
import { EncodeError, encodePair, scoreInputs } from "../src/encode";
import { sharedData } from "./shared-data";

const gpt2 = sharedData("tokenizers/gpt2");

describe.skipIf(!gpt2)("encodePair with GPT-2 BPE", () => {
  let tok: Tokenizer;
  let vocab: Record<string, number>;
  beforeAll(async () => {
    tok = await loadTokenizer({
      tokenizerType: "GPT2BPETokenizer",
      vocabFile: join(gpt2!, "vocab.json"),
      mergeFile: join(gpt2!, "merges.txt"),
    });
    vocab = JSON.parse(readFileSync(join(gpt2!, "vocab.json"), "utf8"));
  });
  // GPT-2's byte-level alphabet writes a leading space as "Ġ"
  const id = (piece: string) => {
    const v = vocab[piece.replaceAll(" ", "Ġ")];
    if (v === undefined) throw new Error(`${piece} is not one GPT-2 token`);
    return v;
  };

  it("moves the context's trailing space onto the continuation", () => {
    const p = encodePair(tok, "The capital of France is ", "Paris");
    expect(p.context).toEqual([id("The"), id(" capital"), id(" of"), id(" France"), id(" is")]);
    // " Paris" is one token: the space belongs to the word, not to the context
    expect(p.continuation).toEqual([id(" Paris")]);
    // encoding the two strings apart would score a lone space token and then "Paris"
    expect(tok.encode("The capital of France is ").at(-1)).toBe(id(" "));
    expect(tok.encode("Paris")).toEqual([id("Paris")]);
  });

  it("moves all trailing whitespace (newlines too), as Python's rstrip", () => {
    const p = encodePair(tok, "Question: why?\nAnswer:\n ", "yes");
    expect(p.context).toEqual(tok.encode("Question: why?\nAnswer:"));
    const whole = tok.encode("Question: why?\nAnswer:\n yes");
    expect(p.continuation).toEqual(whole.slice(p.context.length));
    expect(p.continuation.at(-1)).toBe(id(" yes"));
  });

  it("takes the continuation from the joint encoding when tokens merge across the boundary", () => {
    // "hello wor" + "ld": tok("hello world") = [hello, " world"]; tok("hello wor") = [hello, " wor"]
    const p = encodePair(tok, "hello wor", "ld");
    expect(p.context).toEqual([id("hello"), id(" wor")]);
    expect(p.continuation).toEqual([]); // the harness's rule: whole[len(context):] is empty here
    expect(() => scoreInputs(p, 16)).toThrow(EncodeError);
  });

  it("an empty context is the end-of-text token", () => {
    const p = encodePair(tok, "", "Hello");
    expect(p.context).toEqual([tok.eod]);
    expect(tok.eod).toBe(vocab["<|endoftext|>"]);
    expect(p.continuation).toEqual([id("Hello")]);
  });
});

describe("scoreInputs: the harness's left truncation", () => {
  it("keeps everything when context + continuation fit, minus the last token", () => {
    expect(scoreInputs({ context: [1, 2, 3], continuation: [4, 5] }, 8)).toEqual([
      { tokens: [1, 2, 3, 4], targets: [4, 5] },
    ]);
  });

  it("keeps the last max_length + 1 tokens, then drops the last", () => {
    // all = 1..8, max_length 4: all[-5:] = 4..8, [:-1] = 4..7; rows of 6 and 7 predict 7 and 8
    expect(scoreInputs({ context: [1, 2, 3, 4, 5, 6], continuation: [7, 8] }, 4)).toEqual([
      { tokens: [4, 5, 6, 7], targets: [7, 8] },
    ]);
  });

  it("scores a continuation longer than the window in windows that predict each token once", () => {
    // all = 1..7 with context [1], max_length 3: spans 2..4 and 5..7
    const w = scoreInputs({ context: [1], continuation: [2, 3, 4, 5, 6, 7] }, 3);
    expect(w).toEqual([
      { tokens: [1, 2, 3], targets: [2, 3, 4] },
      { tokens: [4, 5, 6], targets: [5, 6, 7] },
    ]);
    for (const x of w) expect(x.tokens.length).toBeLessThanOrEqual(3);
  });

  it("rejects an empty continuation", () => {
    expect(() => scoreInputs({ context: [1], continuation: [] }, 4)).toThrow(/no tokens/);
  });
});
