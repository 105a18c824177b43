// GPT-NeoX's GPT2BPETokenizer: OpenAI's GPT-2 files, `vocab.json` (encoder.json) + `merges.txt`
// (vocab.bpe), run as transformers' GPT2Tokenizer(errors="replace"): no normalizer, no prefix space,
// `<|endoftext|>` recognised in text. vocab_size = len(encoder) (50257), eod = encoder["<|endoftext|>"].

import { ByteLevelBpe } from "./bpe/byte-level-bpe";
import { readTokenizerText } from "./read-file";
import type { Tokenizer } from "./tokenizer";

const EOD_TOKEN = "<|endoftext|>";

export class GPT2BPETokenizer implements Tokenizer {
  readonly type = "GPT2BPETokenizer" as const;
  readonly engine = "byte-level-bpe" as const;
  readonly vocabSize: number;
  readonly eod: number;
  readonly pad = undefined;
  private readonly bpe: ByteLevelBpe;

  constructor(vocabFile: string, mergeFile: string) {
    const vocab = readVocab(vocabFile);
    const merges = readMerges(mergeFile);
    const eod = vocab.get(EOD_TOKEN);
    if (eod === undefined) throw new Error(`GPT2BPETokenizer: ${vocabFile} has no "${EOD_TOKEN}" entry`);
    this.eod = eod;
    this.vocabSize = vocab.size;
    this.bpe = new ByteLevelBpe({
      vocab,
      merges,
      addedTokens: [{ id: eod, content: EOD_TOKEN, special: true, normalized: false }],
      normalizer: "none",
      addPrefixSpace: false,
      source: `${vocabFile} + ${mergeFile}`,
    });
  }

  encode(text: string): number[] {
    return this.bpe.encode(text);
  }

  encodeInto(text: string, out: number[]): void {
    this.bpe.encodeInto(text, out);
  }

  /** transformers' GPT2Tokenizer.decode: bytes with errors="replace"; `<|endoftext|>` is kept. */
  decode(ids: readonly number[]): string {
    return this.bpe.decode(ids, false);
  }
}

function readVocab(path: string): Map<string, number> {
  let json: unknown;
  try {
    json = JSON.parse(readTokenizerText(path));
  } catch (err) {
    throw new Error(
      `GPT2BPETokenizer: cannot read vocab file ${path} (${(err as Error).message}); expected GPT-2's vocab.json`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`GPT2BPETokenizer: ${path} is not a JSON object of token -> id (GPT-2's vocab.json)`);
  }
  const vocab = new Map<string, number>();
  for (const [tok, id] of Object.entries(json)) {
    if (!Number.isInteger(id))
      throw new Error(`GPT2BPETokenizer: ${path}: "${tok}" maps to ${JSON.stringify(id)}, not an integer id`);
    vocab.set(tok, id as number);
  }
  return vocab;
}

/** merges.txt: a `#version` line, then one "a b" merge per line in rank order (OpenAI encoder.py). */
function readMerges(path: string): [string, string][] {
  let text: string;
  try {
    text = readTokenizerText(path);
  } catch (err) {
    throw new Error(
      `GPT2BPETokenizer: cannot read merge file ${path} (${(err as Error).message}); expected GPT-2's merges.txt`,
    );
  }
  const out: [string, string][] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line === "" || (i === 0 && line.startsWith("#version"))) return;
    const parts = line.split(" ");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
      throw new Error(
        `GPT2BPETokenizer: ${path}:${i + 1}: expected "a b" (two tokens separated by one space), got ${JSON.stringify(line)}`,
      );
    }
    out.push([parts[0]!, parts[1]!]);
  });
  return out;
}
