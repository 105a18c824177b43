// llama.cpp's tokenizer test vectors (46 hard strings each: whitespace runs, accents, CJK, emoji,
// contractions) against GPT-2's and GPT-NeoX-20B's tokenizer.json, on both engines.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HFTokenizer } from "../src/hf-tokenizer";
import { readVectors, sharedDataOrSkip } from "./shared-data";

const data = sharedDataOrSkip();

const CASES = [
  { vectors: "gpt-2", file: "gpt2/tokenizer.json" },
  { vectors: "mpt", file: "gpt-neox-20b/tokenizer.json" },
];

describe.skipIf(!data)("HFTokenizer test vectors", () => {
  for (const c of CASES) {
    const dir = join(data ?? "", "tokenizers");
    const load = () =>
      readVectors(
        readFileSync(join(dir, `test-vectors/ggml-vocab-${c.vectors}.gguf.inp`), "utf8"),
        readFileSync(join(dir, `test-vectors/ggml-vocab-${c.vectors}.gguf.out`), "utf8"),
      );
    for (const engine of ["auto", "reference"] as const) {
      it(`${c.vectors} vectors on ${c.file} (${engine} engine)`, () => {
        const vectors = load();
        expect(vectors.length).toBe(46);
        const tk = new HFTokenizer(join(dir, c.file), { engine });
        expect(tk.engine).toBe(engine === "auto" ? "byte-level-bpe" : "hf-reference");
        for (const v of vectors) {
          expect(tk.encode(v.text), JSON.stringify(v.text)).toEqual(v.ids);
          expect(tk.decode(v.ids), JSON.stringify(v.text)).toBe(
            c.vectors === "mpt" ? v.text.normalize("NFC") : v.text,
          );
        }
      });
    }
  }
});
