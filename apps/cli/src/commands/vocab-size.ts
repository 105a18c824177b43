// The tokenizer's vocabulary size, read from the configured tokenizer file, as GPT-NeoX's
// tokenizer classes report it (`vocab_size`), for `padded_vocab_size`.
import { readFileSync } from "node:fs";

export interface VocabSize {
  size: number | null;
  /** Why the size is unknown, or where it came from. */
  note: string;
}

// tiktoken encodings' n_vocab (the encoding name is GPT-NeoX's vocab_file for TiktokenTokenizer)
const TIKTOKEN_N_VOCAB: Record<string, number> = {
  gpt2: 50257,
  r50k_base: 50257,
  p50k_base: 50281,
  p50k_edit: 50284,
  cl100k_base: 100277,
  o200k_base: 200019,
};

export function vocabSizeOf(values: Readonly<Record<string, unknown>>): VocabSize {
  const type = String(values.tokenizer_type ?? "GPT2BPETokenizer");
  const file = typeof values.vocab_file === "string" ? values.vocab_file : null;
  if (type === "CharLevelTokenizer") return { size: 512, note: "CharLevelTokenizer: 512 (UTF-8 bytes)" };
  if (type === "TiktokenTokenizer") {
    const n = file ? TIKTOKEN_N_VOCAB[file] : undefined;
    return n
      ? { size: n, note: `tiktoken ${file}` }
      : { size: null, note: `unknown tiktoken encoding ${file}` };
  }
  if (file === null) return { size: null, note: `vocab_file is not set, so padded_vocab_size is unknown` };
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return {
      size: null,
      note: `cannot read vocab_file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}), so padded_vocab_size is unknown`,
    };
  }
  try {
    if (type === "SPMTokenizer")
      return { size: countSentencePieces(bytes), note: `SentencePiece model ${file}` };
    const json = JSON.parse(bytes.toString("utf8"));
    if (type === "GPT2BPETokenizer") return { size: Object.keys(json).length, note: `vocab.json ${file}` };
    // HFTokenizer / HFGPT2Tokenizer: tokenizers' get_vocab_size(with_added_tokens=True)
    const vocab: Record<string, number> = json?.model?.vocab ?? {};
    const ids = new Set<number>(Object.values(vocab));
    for (const t of json?.added_tokens ?? []) ids.add(t.id);
    return { size: ids.size, note: `tokenizer.json ${file}` };
  } catch (err) {
    return { size: null, note: `cannot parse vocab_file ${file} as ${type}: ${(err as Error).message}` };
  }
}

/** Counts `pieces` (field 1) in a SentencePiece ModelProto without a protobuf library. */
function countSentencePieces(buf: Buffer): number {
  let pos = 0;
  let count = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error("truncated varint");
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      pos += len;
      if (field === 1) count++;
    } else throw new Error(`unexpected wire type ${wire} at byte ${pos}`);
  }
  return count;
}
