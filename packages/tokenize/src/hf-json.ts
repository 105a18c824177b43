// Reads a Hugging Face `tokenizer.json` and decides whether our byte-level BPE reproduces it exactly.
// Only the pieces whose behaviour we implement are accepted; anything else (other models, Split or
// Metaspace pre-tokenizers, template post-processors that add BOS, BPE dropout...) is reported as a
// reason, and the caller falls back to the pure-JS Hugging Face engine.

import type { AddedToken } from "./bpe/added-tokens";
import { BYTE_TO_CHAR } from "./bpe/byte-level";
import type { ByteLevelBpeSpec } from "./bpe/byte-level-bpe";

// biome-ignore lint/suspicious/noExplicitAny: tokenizer.json is untyped JSON, checked field by field
type Json = any;

export interface HfTokenizerJson {
  json: Json;
  path: string;
}

export function parseTokenizerJson(text: string, path: string): HfTokenizerJson {
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `${path}: not valid JSON (${(err as Error).message}); expected a Hugging Face tokenizer.json`,
    );
  }
  if (typeof json !== "object" || json === null || typeof json.model !== "object") {
    throw new Error(`${path}: no "model" object; expected a Hugging Face tokenizer.json`);
  }
  return { json, path };
}

export function addedTokensOf(tj: HfTokenizerJson): AddedToken[] {
  const list: Json[] = Array.isArray(tj.json.added_tokens) ? tj.json.added_tokens : [];
  return list.map((t, i) => {
    if (typeof t.id !== "number" || typeof t.content !== "string") {
      throw new Error(`${tj.path}: added_tokens[${i}] needs a numeric "id" and a string "content"`);
    }
    return { id: t.id, content: t.content, special: t.special === true, normalized: t.normalized !== false };
  });
}

/** Either a spec our byte-level BPE runs exactly, or the reason it cannot. */
export function byteLevelSpecOf(tj: HfTokenizerJson): ByteLevelBpeSpec | { unsupported: string } {
  const j = tj.json;
  const m = j.model;
  if (m.type !== "BPE") return { unsupported: `model type ${m.type}` };
  if (m.dropout !== null && m.dropout !== undefined && m.dropout !== 0) return { unsupported: "BPE dropout" };
  if (m.continuing_subword_prefix) return { unsupported: "continuing_subword_prefix" };
  if (m.end_of_word_suffix) return { unsupported: "end_of_word_suffix" };
  if (m.byte_fallback) return { unsupported: "byte_fallback" };
  if (m.ignore_merges) return { unsupported: "ignore_merges" };
  let normalizer: "none" | "nfc";
  if (j.normalizer === null || j.normalizer === undefined) normalizer = "none";
  else if (j.normalizer.type === "NFC") normalizer = "nfc";
  else return { unsupported: `normalizer ${j.normalizer.type}` };
  const pre = j.pre_tokenizer;
  if (pre?.type !== "ByteLevel") return { unsupported: `pre_tokenizer ${pre?.type ?? "none"}` };
  if (pre.use_regex === false) return { unsupported: "ByteLevel pre_tokenizer without its regex" };
  const post = j.post_processor;
  if (post && post.type !== "ByteLevel") return { unsupported: `post_processor ${post.type}` };
  for (const t of Array.isArray(j.added_tokens) ? j.added_tokens : []) {
    if (t.lstrip || t.rstrip || t.single_word)
      return { unsupported: `added token "${t.content}" with lstrip/rstrip/single_word` };
  }
  const vocab = new Map<string, number>(Object.entries(m.vocab ?? {}) as [string, number][]);
  for (let b = 0; b < 0xf5; b++) {
    if (b !== 0xc0 && b !== 0xc1 && !vocab.has(BYTE_TO_CHAR[b]!))
      return { unsupported: `no vocabulary entry for byte ${b}` };
  }
  const merges = (Array.isArray(m.merges) ? m.merges : []).map((x: Json, i: number) => {
    if (Array.isArray(x) && x.length === 2) return [String(x[0]), String(x[1])] as const;
    if (typeof x === "string") {
      const sp = x.indexOf(" ", 1);
      if (sp > 0) return [x.slice(0, sp), x.slice(sp + 1)] as const;
    }
    throw new Error(`${tj.path}: model.merges[${i}] is not "a b" or ["a", "b"]`);
  });
  return {
    vocab,
    merges,
    addedTokens: addedTokensOf(tj),
    normalizer,
    addPrefixSpace: pre.add_prefix_space === true,
    source: tj.path,
  };
}
