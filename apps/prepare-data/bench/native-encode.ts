// Hugging Face's native `tokenizers` (Rust, the engine GPT-NeoX's HFTokenizer runs; the npm package is a
// devDependency, so `pnpm install` provides it) encoding the benchmark corpus: raw encode only
// (tokenizer loaded and documents in memory before the clock starts), batches of documents through
// encodeBatch, ids read back. The thread count is RAYON_NUM_THREADS, set by the parent, since Rayon
// sizes its pool once per process.
// usage: native-encode.ts CORPUS_JSONL TOKENIZER_JSON
//        native-encode.ts CORPUS_JSONL --gpt2 VOCAB_JSON MERGES_TXT
//   -> prints {"seconds": s, "tokens": n}
// --gpt2 assembles GPT-2's tokenizer (byte-level BPE, no prefix space, <|endoftext|> special) from the
// same vocab/merges files our GPT2BPETokenizer reads, so the GPT-2 rows need nothing outside npm.

import { readFileSync } from "node:fs";
import { BPE, byteLevelPreTokenizer, Tokenizer } from "tokenizers";

async function load(args: string[]): Promise<Tokenizer> {
  if (args[0] !== "--gpt2") return Tokenizer.fromFile(args[0]!);
  const tk = new Tokenizer(await BPE.fromFile(args[1]!, args[2]!));
  tk.setPreTokenizer(byteLevelPreTokenizer(false, true));
  tk.addSpecialTokens(["<|endoftext|>"]);
  return tk;
}

const [corpus, ...spec] = process.argv.slice(2) as [string, ...string[]];
const tk = await load(spec);
const docs = readFileSync(corpus, "utf8")
  .split("\n")
  .filter((l) => l !== "")
  .map((l) => (JSON.parse(l) as { text: string }).text);
const BATCH = 512;
// Warm-up: start the thread pool on text that is not in the corpus, so the BPE cache stays cold for it
// (prepare-data's workers also start cold).
await tk.encodeBatch(["Start the pool.", "Then time the corpus."]);
const t0 = performance.now();
let tokens = 0;
for (let i = 0; i < docs.length; i += BATCH) {
  const encs = await tk.encodeBatch(docs.slice(i, i + BATCH));
  for (const e of encs) tokens += e.getIds().length;
}
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ seconds, tokens }));
