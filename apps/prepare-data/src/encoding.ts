// Byte-level checks on a batch before it is decoded, so nothing changes silently: invalid UTF-8
// (which decoding replaces with U+FFFD) and NUL bytes (binary data in a text file) are found line by
// line and reported with the line and the byte's column. The whole-batch checks are native
// (buffer.isUtf8, indexOf); the per-line walk runs only when a batch has something to report.

import { isUtf8 } from "node:buffer";
import type { Problem } from "./messages";

/** At most this many problems of one kind are sent back per batch; the rest are only counted. */
export const PROBLEMS_PER_BATCH = 10;

export interface ProblemLog {
  problems: Problem[];
  counts: Record<Problem["kind"], number>;
}

export function newProblemLog(): ProblemLog {
  return { problems: [], counts: { malformed: 0, "invalid-utf8": 0, nul: 0, bom: 0 } };
}

export function logProblem(log: ProblemLog, p: Problem): void {
  if (log.counts[p.kind]++ < PROBLEMS_PER_BATCH) log.problems.push(p);
}

/** Reports each line holding invalid UTF-8 (and, with `nul`, each holding a NUL byte). */
export function checkBytes(bytes: Uint8Array, log: ProblemLog, opts: { nul: boolean }): void {
  const badUtf8 = !isUtf8(bytes);
  const nul = opts.nul && bytes.indexOf(0) >= 0;
  if (!badUtf8 && !nul) return;
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    const text = bytes.subarray(start, end);
    if (badUtf8 && !isUtf8(text)) {
      const at = firstInvalidUtf8(text);
      logProblem(log, {
        kind: "invalid-utf8",
        line,
        message: `invalid UTF-8 at byte ${at + 1} of the line (0x${hex(text[at]!)})`,
      });
    }
    if (nul) {
      const at = text.indexOf(0);
      if (at >= 0)
        logProblem(log, {
          kind: "nul",
          line,
          message: `NUL byte at byte ${at + 1} of the line (binary data?)`,
        });
    }
    if (end === bytes.length) break;
    start = end + 1;
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}

/**
 * Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (Unicode
 * §3.9, Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or -1.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined) return i; // truncated at the end
      if (d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}
