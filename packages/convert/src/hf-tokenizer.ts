// Tokenizer files between a checkpoint's config and an HF directory. Export copies the files the
// config names (tokenizer_type + vocab_file / merge_file) under the names transformers looks for;
// import copies an HF directory's files beside the checkpoint and says which config keys name them.
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConvertError } from "./hf-map";

export interface TokenizerExport {
  /** destination name -> source path */
  copies: Record<string, string>;
  /** tokenizer_config.json to write when the source has none (transformers needs the class). */
  tokenizerConfig: Record<string, unknown> | null;
  /** GPT-NeoX's end-of-document id (bos and eos of the exported config), or null when unknown. */
  eod: number | null;
  note: string | null;
}

const SIDECARS = ["tokenizer_config.json", "special_tokens_map.json"];

/** The files to copy for a checkpoint whose resolved config is `v`. */
export function tokenizerForExport(v: Readonly<Record<string, unknown>>): TokenizerExport {
  const type = String(v.tokenizer_type ?? "GPT2BPETokenizer");
  const vocab = typeof v.vocab_file === "string" ? v.vocab_file : null;
  // A config naming no tokenizer file (an import from an HF directory without one) exports none.
  if (type !== "CharLevelTokenizer" && !vocab)
    return {
      copies: {},
      tokenizerConfig: null,
      eod: null,
      note: "the checkpoint's config names no tokenizer file (vocab_file); none copied, bos/eos left null",
    };
  const need = (key: string, path: string | null): string => {
    if (!path)
      throw new ConvertError(
        `tokenizer_type ${type} needs ${key} in the checkpoint's config to copy the tokenizer`,
      );
    if (!existsSync(path))
      throw new ConvertError(
        `${key} = ${path} (checkpoint config): file not found; the tokenizer cannot be copied`,
      );
    return path;
  };
  const sidecars = (dir: string) => {
    const out: Record<string, string> = {};
    for (const n of SIDECARS) if (existsSync(join(dir, n))) out[n] = join(dir, n);
    return out;
  };
  if (type === "CharLevelTokenizer")
    return {
      copies: {},
      tokenizerConfig: null,
      eod: 0,
      note: "CharLevelTokenizer has no files; none copied",
    };
  if (type === "HFTokenizer" || type === "HFGPT2Tokenizer") {
    const path = need("vocab_file", vocab);
    return {
      copies: { "tokenizer.json": path, ...sidecars(dirname(path)) },
      tokenizerConfig: existsSync(join(dirname(path), "tokenizer_config.json"))
        ? null
        : { tokenizer_class: "PreTrainedTokenizerFast" },
      eod: hfTokenId(path, "<|endoftext|>"),
      note: null,
    };
  }
  if (type === "SPMTokenizer") {
    const path = need("vocab_file", vocab);
    return {
      copies: { "tokenizer.model": path, ...sidecars(dirname(path)) },
      tokenizerConfig: existsSync(join(dirname(path), "tokenizer_config.json"))
        ? null
        : { tokenizer_class: "LlamaTokenizer", add_bos_token: true, add_eos_token: false },
      eod: null,
      note: "SentencePiece eod is not read here; pass the id to write bos/eos",
    };
  }
  if (type === "GPT2BPETokenizer") {
    const path = need("vocab_file", vocab);
    const merges = need("merge_file", typeof v.merge_file === "string" ? v.merge_file : null);
    const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, number>;
    return {
      copies: { "vocab.json": path, "merges.txt": merges },
      tokenizerConfig: { tokenizer_class: "GPT2Tokenizer" },
      eod: typeof json["<|endoftext|>"] === "number" ? json["<|endoftext|>"] : null,
      note: null,
    };
  }
  return {
    copies: {},
    tokenizerConfig: null,
    eod: null,
    note: `${type} has no HF tokenizer files; none copied`,
  };
}

/** The id of `token` in a tokenizer.json (added tokens, then the model's vocabulary), or null. */
function hfTokenId(path: string, token: string): number | null {
  const tj = JSON.parse(readFileSync(path, "utf8")) as {
    added_tokens?: { id: number; content: string }[];
    model?: { vocab?: Record<string, number> | [string, number][] };
  };
  const added = tj.added_tokens?.find((t) => t.content === token);
  if (added) return added.id;
  const vocab = tj.model?.vocab;
  if (vocab && !Array.isArray(vocab) && typeof vocab[token] === "number") return vocab[token];
  return null;
}

/** Ids a tokenizer.json can produce: one past the largest id of its vocabulary and added tokens. */
export function hfTokenizerSize(path: string): number {
  let tj: {
    added_tokens?: { id: number }[];
    model?: { vocab?: Record<string, number> | [string, number][] };
  };
  try {
    tj = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConvertError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  let max = -1;
  for (const t of tj.added_tokens ?? []) max = Math.max(max, t.id);
  const vocab = tj.model?.vocab;
  // BPE/WordPiece vocabularies map token -> id; Unigram lists [token, score] pairs by id.
  if (Array.isArray(vocab)) max = Math.max(max, vocab.length - 1);
  else if (vocab) for (const id of Object.values(vocab)) max = Math.max(max, id);
  return max + 1;
}

/** Tokenizer files of an HF directory and the config keys that name them once copied to `dest`. */
export function tokenizerForImport(
  hfDir: string,
  dest: string,
): { copies: Record<string, string>; keys: Record<string, unknown> | null } {
  const has = (n: string) => existsSync(join(hfDir, n));
  const copies: Record<string, string> = {};
  for (const n of ["tokenizer.json", "tokenizer.model", ...SIDECARS]) if (has(n)) copies[n] = join(hfDir, n);
  if (has("tokenizer.json"))
    return { copies, keys: { tokenizer_type: "HFTokenizer", vocab_file: join(dest, "tokenizer.json") } };
  if (has("tokenizer.model"))
    return { copies, keys: { tokenizer_type: "SPMTokenizer", vocab_file: join(dest, "tokenizer.model") } };
  return { copies: {}, keys: null };
}

export function copyFiles(copies: Readonly<Record<string, string>>, dir: string): void {
  for (const [name, src] of Object.entries(copies)) copyFileSync(src, join(dir, name));
}
