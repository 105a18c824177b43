import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { vocabSizeOf } from "../src/commands/vocab-size";

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../shared");
const have = existsSync(SHARED) || process.env.CI === "true";
const tok = (p: string) => resolve(SHARED, "data/tokenizers", p);

describe.runIf(have)("vocabSizeOf (GPT-NeoX's tokenizer vocab_size)", () => {
  it("reads the size each tokenizer type reports", async () => {
    const size = async (v: Record<string, unknown>) => (await vocabSizeOf(v)).size;
    // HF tokenizers' get_vocab_size(with_added_tokens=True): 50277 for the 20B tokenizer (neox-spec §7)
    expect(
      await size({ tokenizer_type: "HFTokenizer", vocab_file: tok("gpt-neox-20b/tokenizer.json") }),
    ).toBe(50277);
    const gpt2 = { vocab_file: tok("gpt2/vocab.json"), merge_file: tok("gpt2/merges.txt") };
    expect(await size({ tokenizer_type: "GPT2BPETokenizer", ...gpt2 })).toBe(50257);
    expect(await size({ tokenizer_type: "SPMTokenizer", vocab_file: tok("llama2/tokenizer.model") })).toBe(
      32000,
    );
    expect(await size({ tokenizer_type: "CharLevelTokenizer" })).toBe(512);
  });

  it("says why when the file cannot be read", async () => {
    const r = await vocabSizeOf({ tokenizer_type: "HFTokenizer", vocab_file: "/nonexistent.json" });
    expect(r.size).toBeNull();
    expect(r.note).toContain("/nonexistent.json");
  });
});
