// The tokenizer's vocabulary size, for `padded_vocab_size`: the configured tokenizer loaded by
// @neox/tokenize, so the size is exactly GPT-NeoX's `tokenizer.vocab_size` for every type.
import { loadTokenizer } from "@neox/tokenize";

export interface VocabSize {
  size: number | null;
  /** Why the size is unknown, or where it came from. */
  note: string;
}

export async function vocabSizeOf(values: Readonly<Record<string, unknown>>): Promise<VocabSize> {
  const type = String(values.tokenizer_type ?? "GPT2BPETokenizer");
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const vocabFile = str(values.vocab_file);
  const mergeFile = str(values.merge_file);
  try {
    const tk = await loadTokenizer({ tokenizerType: type, vocabFile, mergeFile });
    return { size: tk.vocabSize, note: `${type} ${vocabFile ?? ""}`.trim() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "ENOENT" ? `${e.path ?? vocabFile} does not exist` : e.message;
    return {
      size: null,
      note: `cannot load the ${type} tokenizer (${why}), so padded_vocab_size is unknown`,
    };
  }
}
