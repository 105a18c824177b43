// Hugging Face's native `tokenizers` (Rust, the engine GPT-NeoX's HFTokenizer runs) encoding the
// benchmark corpus: raw encode only (tokenizer loaded and documents in memory before the clock starts),
// batches of documents through encodeBatch, ids read back. The thread count is RAYON_NUM_THREADS, set
// by the parent, since Rayon sizes its pool once per process.
// usage: native-encode.ts TOKENIZER_JSON CORPUS_JSONL   -> prints {"seconds": s, "tokens": n}

import { readFileSync } from "node:fs";
import { Tokenizer } from "tokenizers";

const [tokenizerJson, corpus] = process.argv.slice(2) as [string, string];
const tk = Tokenizer.fromFile(tokenizerJson);
const docs = readFileSync(corpus, "utf8")
  .split("\n")
  .filter((l) => l !== "")
  .map((l) => (JSON.parse(l) as { text: string }).text);
const BATCH = 512;
await tk.encodeBatch(docs.slice(0, BATCH)); // warm-up: thread pool start, first allocations
const t0 = performance.now();
let tokens = 0;
for (let i = 0; i < docs.length; i += BATCH) {
  const encs = await tk.encodeBatch(docs.slice(i, i + BATCH));
  for (const e of encs) tokens += e.getIds().length;
}
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ seconds, tokens }));
