// wikitext (harness task version 2.0): perplexity of the raw WikiText-2 test articles.
// Articles are split as the EleutherAI/wikitext_document_level dataset script splits them: a line
// that, with "= = =" → "===" and "= =" → "==" and trimmed, starts with "= " and ends with " =" (a
// top-level ` = Title = ` heading) starts a new page; pages are the lines joined with "\n".
// The model scores the detokenized page (preprocess_wikitext.wikitext_detokenizer) with rolling
// windows; words and bytes are counted on the page *before* detokenization, as the task's
// process_results counts them. The local wiki.test.raw has CRLF line ends and no blank lines (see
// shared/data/SOURCES.md), so its pages lack the original's blank lines and the numbers are close
// to, not equal to, the harness's on the original file.
import { join } from "node:path";
import { readText } from "./read";
import { type Doc, ll, type Task } from "./types";

export const WIKITEXT_FILE = join("wikitext", "wiki.test.raw");

export function splitPages(raw: string): string[] {
  const lines = raw.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  const pages: string[] = [];
  let current: string[] = [];
  for (const line of lines) {
    const r = line.replaceAll("= = =", "===").replaceAll("= =", "==").trim();
    if (r.startsWith("= ") && r.endsWith(" =")) {
      const page = current.join("\n");
      if (page.trim() !== "") pages.push(page);
      current = [];
    }
    current.push(line);
  }
  pages.push(current.join("\n")); // the script yields the last page unconditionally
  return pages;
}

/** preprocess_wikitext.wikitext_detokenizer, rule for rule. */
export function wikitextDetokenize(page: string): string {
  let s = page;
  // contractions
  s = s.replaceAll("s '", "s'");
  s = s.replace(/\/' [0-9]\//g, "/'[0-9]/"); // (sic: the harness's pattern matches literal slashes)
  // number separators
  s = s.replaceAll(" @-@ ", "-").replaceAll(" @,@ ", ",").replaceAll(" @.@ ", ".");
  // punctuation
  for (const p of [":", ";", ".", "!", "?", ","]) s = s.replaceAll(` ${p} `, `${p} `);
  // double brackets
  s = s.replace(/\(\s*([^)]*?)\s*\)/g, "($1)");
  s = s.replace(/\[\s*([^\]]*?)\s*\]/g, "[$1]");
  s = s.replace(/{\s*([^}]*?)\s*}/g, "{$1}");
  s = s.replace(/"\s*([^"]*?)\s*"/g, '"$1"');
  s = s.replace(/'\s*([^']*?)\s*'/g, "'$1'");
  // miscellaneous
  s = s.replaceAll("= = = =", "====").replaceAll("= = =", "===").replaceAll("= =", "==");
  s = s.replaceAll(" \u00b0 ", "\u00b0");
  s = s.replaceAll(" \n", "\n").replaceAll("\n ", "\n");
  s = s.replaceAll(" N ", " 1 ");
  s = s.replaceAll(" 's", "'s");
  return s;
}

/** Python's len(re.split(r"\s+", page)): empty strings at either end count. */
export function countWords(page: string): number {
  return page.split(/\s+/).length;
}

export function wikitext(dataDir: string): Task {
  const path = join(dataDir, WIKITEXT_FILE);
  const docs = splitPages(readText(path, "wikitext")).map(
    (page): Doc => ({
      requests: [{ type: "loglikelihood_rolling" as const, text: wikitextDetokenize(page) }],
      process: ([r]) => {
        const { logprob } = ll(r);
        const bytes = Buffer.byteLength(page, "utf8");
        return {
          word_perplexity: [logprob, countWords(page)] as const,
          byte_perplexity: [logprob, bytes] as const,
          bits_per_byte: [logprob, bytes] as const,
        };
      },
    }),
  );
  return {
    name: "wikitext",
    version: 2.0,
    outputType: "loglikelihood_rolling",
    metrics: {
      word_perplexity: { aggregation: "weighted_perplexity", higherIsBetter: false },
      byte_perplexity: { aggregation: "weighted_perplexity", higherIsBetter: false },
      bits_per_byte: { aggregation: "bits_per_byte", higherIsBetter: false },
    },
    docs,
    source: path,
  };
}
