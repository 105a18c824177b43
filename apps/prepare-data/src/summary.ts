// The closing report: what was written for each key, and what was skipped or changed and why.

import type { ProblemKind } from "./messages";
import { PROBLEM_KINDS } from "./report";
import type { RunSummary } from "./run";

export function printSummary(out: NodeJS.WritableStream, s: RunSummary): void {
  // The rate counts the UTF-8 bytes of the text tokenized (what a tokenizer benchmark divides by),
  // not the input's JSON framing, keys and escapes.
  const text = s.textBytes / 1e6;
  const input = s.inputBytes / 1e6;
  out.write(
    `prepare-data: ${s.records} records, ${text.toFixed(2)} MB of text (${input.toFixed(2)} MB of input) in ${s.seconds.toFixed(1)} s (${(text / s.seconds).toFixed(2)} MB/s of text) with ${s.workers} worker${s.workers === 1 ? "" : "s"} (${s.engine} engine)\n`,
  );
  for (const k of s.keys) {
    const skipped: string[] = [];
    if (k.emptyValues > 0) skipped.push(`${k.emptyValues} missing or empty values`);
    if (k.noTokens > 0) skipped.push(`${k.noTokens} values with no tokens`);
    out.write(
      `  ${k.prefix}.bin/.idx: ${k.documents} documents, ${k.tokens} tokens (${k.dtype})${skipped.length > 0 ? `; skipped ${skipped.join(", ")}` : ""}\n`,
    );
  }
  for (const kind of Object.keys(PROBLEM_KINDS) as ProblemKind[]) {
    const n = s.problems[kind];
    const { noun, action } = PROBLEM_KINDS[kind];
    if (n > 0) out.write(`  ${n} ${noun}: ${action} (see above; --strict makes them fatal)\n`);
  }
}
