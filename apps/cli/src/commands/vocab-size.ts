// The tokenizer's vocabulary size, for `padded_vocab_size`: the configured tokenizer loaded by
// @neox/tokenize, so the size is exactly GPT-NeoX's `tokenizer.vocab_size` for every type.
import { statSync } from "node:fs";
import { loadTokenizer } from "@neox/tokenize";

export interface VocabSize {
  size: number | null;
  /** Why the size is unknown, or where it came from. */
  note: string;
}

/**
 * Tokenizer files are read whole, so a path that is a FIFO or a device would block or never end, and
 * a multi-gigabyte file is not a tokenizer (the largest tokenizer.json files are tens of MB).
 */
const MAX_TOKENIZER_FILE_BYTES = 2 ** 30;

function unreadable(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch {
    return undefined; // the loader names a missing file itself
  }
  if (st.isDirectory()) return `${file} is a directory, not a tokenizer file`;
  if (!st.isFile()) return `${file} is not a regular file (a pipe or a device), so it is not read`;
  if (st.size > MAX_TOKENIZER_FILE_BYTES)
    return `${file} is ${(st.size / 2 ** 30).toFixed(1)} GiB, over the 1 GiB limit for a tokenizer file`;
  return undefined;
}

export async function vocabSizeOf(values: Readonly<Record<string, unknown>>): Promise<VocabSize> {
  const type = String(values.tokenizer_type ?? "GPT2BPETokenizer");
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const vocabFile = str(values.vocab_file);
  const mergeFile = str(values.merge_file);
  const refused = unreadable(vocabFile) ?? unreadable(mergeFile);
  if (refused)
    return {
      size: null,
      note: `cannot load the ${type} tokenizer (${refused}), so padded_vocab_size is unknown`,
    };
  try {
    const tk = await loadTokenizer({ tokenizerType: type, vocabFile, mergeFile });
    return { size: tk.vocabSize, note: `${type} ${vocabFile ?? ""}`.trim() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // one line: a loader's message may quote the file's content
    const first = String(e?.message ?? err).split("\n")[0]!;
    const why = e?.code === "ENOENT" ? `${e.path ?? vocabFile} does not exist` : first.slice(0, 300);
    return {
      size: null,
      note: `cannot load the ${type} tokenizer (${why}), so padded_vocab_size is unknown`,
    };
  }
}
