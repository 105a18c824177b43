// The closing report: what was written for each key, and what was skipped and why.

import type { PrepareArgs } from "./args";
import type { RunSummary } from "./run";

export function printSummary(out: NodeJS.WritableStream, args: PrepareArgs, s: RunSummary): void {
  const mb = s.inputBytes / 1e6;
  out.write(
    `prepare-data: ${s.records} records, ${mb.toFixed(2)} MB in ${s.seconds.toFixed(1)} s (${(mb / s.seconds).toFixed(2)} MB/s) with ${args.workers} worker${args.workers === 1 ? "" : "s"} (${s.engine} engine)\n`,
  );
  for (const k of s.keys) {
    const skipped: string[] = [];
    if (k.emptyValues > 0) skipped.push(`${k.emptyValues} missing or empty values`);
    if (k.noTokens > 0) skipped.push(`${k.noTokens} values with no tokens`);
    out.write(
      `  ${k.prefix}.bin/.idx: ${k.documents} documents, ${k.tokens} tokens (${k.dtype})${skipped.length > 0 ? `; skipped ${skipped.join(", ")}` : ""}\n`,
    );
  }
  if (s.malformed > 0)
    out.write(`  ${s.malformed} malformed lines were skipped (see above; --strict makes them fatal)\n`);
}
