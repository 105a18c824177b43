// Assembles the benchmark corpus: at least 50 MB of distinct real English text from the shared
// corpora and Debian text packages, read where they are installed (never copied into the repository),
// cut into documents of about 4 KB at line boundaries, written as one JSONL file.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export interface Source {
  name: string;
  /** Where it comes from, and the package that provides it when missing. */
  origin: string;
  read: () => string | undefined;
}

const file = (p: string) => () => (existsSync(p) ? readFileSync(p, "utf8") : undefined);
const gz = (p: string) => () => (existsSync(p) ? gunzipSync(readFileSync(p)).toString("utf8") : undefined);

export function sources(shared: string): Source[] {
  const fortunes = "/usr/share/games/fortunes";
  return [
    {
      name: "gcide",
      origin: "Debian dict-gcide (/usr/share/dictd/gcide.dict.dz)",
      read: gz("/usr/share/dictd/gcide.dict.dz"),
    },
    {
      name: "kjv-bible",
      origin: "Debian bible-kjv + bible-kjv-text (`bible` prints the verses)",
      read: () => {
        try {
          return execFileSync("bible", ["-f", "gen1:1-rev22:21"], { encoding: "utf8", maxBuffer: 64 << 20 });
        } catch {
          return undefined;
        }
      },
    },
    {
      name: "fortunes",
      origin: "Debian fortunes, fortunes-min (/usr/share/games/fortunes)",
      read: () => {
        if (!existsSync(fortunes)) return undefined;
        const names = execFileSync("ls", [fortunes], { encoding: "utf8" })
          .split("\n")
          .filter((n) => n && !n.includes("."));
        return names
          .map((n) => join(fortunes, n))
          .filter((p) => statSync(p).isFile())
          .map((p) => readFileSync(p, "utf8"))
          .join("\n");
      },
    },
    { name: "jargon", origin: "Debian jargon-text", read: gz("/usr/share/doc/jargon-text/jargon.txt.gz") },
    {
      name: "tinyshakespeare",
      origin: "shared/data/corpora",
      read: file(join(shared, "corpora/tinyshakespeare.txt")),
    },
    {
      name: "wikitext-2 valid",
      origin: "shared/data/corpora",
      read: file(join(shared, "corpora/wikitext-2/wiki.valid.tokens")),
    },
    {
      name: "wikitext-2-raw test",
      origin: "shared/data/corpora",
      read: file(join(shared, "corpora/wikitext-2-raw/wiki.test.raw")),
    },
    {
      name: "lambada",
      origin: "shared/data/eval",
      read: () => {
        const t = file(join(shared, "eval/lambada_openai/lambada_test.jsonl"))();
        return t
          ?.split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => (JSON.parse(l) as { text: string }).text)
          .join("\n");
      },
    },
    {
      name: "piqa",
      origin: "shared/data/eval",
      read: () => {
        const t = file(join(shared, "eval/piqa/valid.jsonl"))();
        return t
          ?.split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => Object.values(JSON.parse(l) as Record<string, string>).join("\n"))
          .join("\n");
      },
    },
  ];
}

/** Cuts text into documents of about `target` characters at line boundaries. */
export function documents(text: string, target = 4096): string[] {
  const out: string[] = [];
  let cur = "";
  for (const line of text.split(/\r?\n/)) {
    cur += `${line}\n`;
    if (cur.length >= target) {
      out.push(cur);
      cur = "";
    }
  }
  if (cur.trim() !== "") out.push(cur);
  return out;
}

export interface Corpus {
  path: string;
  docs: number;
  textBytes: number;
  parts: { name: string; bytes: number }[];
  missing: string[];
}

/** Writes `<dir>/corpus.jsonl` and returns its size in text bytes (the UTF-8 of the documents). */
export function assembleCorpus(shared: string, dir: string): Corpus {
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  const parts: Corpus["parts"] = [];
  const missing: string[] = [];
  let textBytes = 0;
  for (const s of sources(shared)) {
    const text = s.read();
    if (!text) {
      missing.push(`${s.name} (${s.origin})`);
      continue;
    }
    const bytes = Buffer.byteLength(text, "utf8");
    parts.push({ name: s.name, bytes });
    for (const d of documents(text)) {
      lines.push(JSON.stringify({ text: d }));
      textBytes += Buffer.byteLength(d, "utf8");
    }
  }
  const path = join(dir, "corpus.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return { path, docs: lines.length, textBytes, parts, missing };
}
