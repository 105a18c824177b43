// Our byte-level BPE against the Hugging Face reference engine on real text (Shakespeare, WikiText,
// LAMBADA) and on adversarial strings: long words (the heap path), exotic whitespace, lone surrogates.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GPT2BPETokenizer } from "../src/gpt2-bpe";
import { HFTokenizer } from "../src/hf-tokenizer";
import { sharedDataOrSkip } from "./shared-data";

const data = sharedDataOrSkip();
const d = (p: string) => join(data ?? "", p);

function corpusLines(): string[] {
  const take = (p: string, bytes: number) => readFileSync(d(p), "utf8").slice(0, bytes);
  const lambada = take("eval/lambada_openai/lambada_test.jsonl", 150_000)
    .split("\n")
    .slice(0, -1)
    .map((l) => (JSON.parse(l) as { text: string }).text);
  return [
    ...take("corpora/tinyshakespeare.txt", 100_000).split("\n\n"),
    ...take("corpora/wikitext-2-raw/wiki.test.raw", 150_000).split("\r\n"),
    ...lambada,
  ];
}

const ADVERSARIAL = [
  "a".repeat(3000),
  `${"xyz".repeat(700)} ${"\u00e9".repeat(500)}`,
  "=".repeat(2000),
  "line\u0085next\u00a0nbsp\ufeffbom\u2028sep\u3000ideo  \t\n\n  end   ",
  "lone \ud800 surrogate \udfff here",
  "emoji 👩‍👩‍👧 and 𝕏 math, CJK 漢字かな, Arabic مرحبا, Hindi नमस्ते",
  "digits 1234567890 ١٢٣ and contractions I'd've you'll WE'RE",
  "<|endoftext|><|padding|>  <|endoftext|>text<|endoftext|>",
  `tabs\t\t\tand ${" ".repeat(60)}spaces${" ".repeat(25)}.`,
];

describe.skipIf(!data)("byte-level BPE equals the Hugging Face reference", () => {
  for (const file of ["gpt2/tokenizer.json", "gpt-neox-20b/tokenizer.json"]) {
    it(`${file}: real text and adversarial strings`, () => {
      const fast = new HFTokenizer(d(`tokenizers/${file}`));
      const ref = new HFTokenizer(d(`tokenizers/${file}`), { engine: "reference" });
      expect(fast.engine).toBe("byte-level-bpe");
      const texts = [...corpusLines(), ...ADVERSARIAL];
      expect(texts.length).toBeGreaterThan(1000);
      let tokens = 0;
      for (const t of texts) {
        const ids = fast.encode(t);
        expect(ids, JSON.stringify(t.slice(0, 80))).toEqual(ref.encode(t));
        tokens += ids.length;
        if (!/[\ud800-\udfff]/.test(t.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))) {
          // HFTokenizer.decode skips special tokens: <|endoftext|> in both files, <|padding|> in 20B's.
          const expected = file.includes("neox")
            ? t.normalize("NFC").replaceAll(/<\|endoftext\|>|<\|padding\|>/g, "")
            : t.replaceAll("<|endoftext|>", "");
          expect(fast.decode(ids)).toBe(expected);
        }
      }
      expect(tokens).toBeGreaterThan(50_000);
    });
  }

  it("GPT2BPETokenizer (vocab.json + merges.txt) equals HFTokenizer on GPT-2's tokenizer.json", () => {
    const a = new GPT2BPETokenizer(d("tokenizers/gpt2/vocab.json"), d("tokenizers/gpt2/merges.txt"));
    const b = new HFTokenizer(d("tokenizers/gpt2/tokenizer.json"), { engine: "reference" });
    for (const t of [...corpusLines().slice(0, 400), ...ADVERSARIAL])
      expect(a.encode(t)).toEqual(b.encode(t));
  });
});
