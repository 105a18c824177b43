// Problem lines, reported as the results come back in input order: the first few of each kind as
// `file:line: what; what was done`, the rest counted for the summary. Under --strict the first problem
// of any kind stops the run.

import type { BatchResult, ProblemKind } from "./messages";

/** Lines printed per kind; the rest are counted. */
export const PRINTED_PER_KIND = 10;

/** What each kind of problem line is called, and what was done with it. */
export const PROBLEM_KINDS: Record<ProblemKind, { noun: string; action: string }> = {
  malformed: { noun: "malformed lines", action: "skipped" },
  "invalid-utf8": { noun: "lines with invalid UTF-8", action: "replaced with U+FFFD" },
  nul: { noun: "lines with NUL bytes", action: "kept" },
  bom: { noun: "lines starting with a byte-order mark", action: "removed" },
};

export class StrictError extends Error {}

export class ProblemReport {
  readonly counts: Record<ProblemKind, number> = { malformed: 0, "invalid-utf8": 0, nul: 0, bom: 0 };
  private readonly printed: Record<ProblemKind, number> = { malformed: 0, "invalid-utf8": 0, nul: 0, bom: 0 };

  constructor(
    private readonly warn: (msg: string) => void,
    private readonly strict: boolean,
  ) {}

  /** Reports one batch's problems; `firstLine` is the file line of the batch's first line. */
  add(path: string, firstLine: number, r: BatchResult): void {
    for (const p of r.problems) {
      const where = `${path}:${firstLine - 1 + p.line}`;
      const message = escapeControls(p.message);
      if (this.strict)
        throw new StrictError(`${where}: ${message} (--strict stops at the first problem line)`);
      if (this.printed[p.kind]++ < PRINTED_PER_KIND) {
        this.warn(`${where}: ${message}; ${PROBLEM_KINDS[p.kind].action}`);
        if (this.printed[p.kind] === PRINTED_PER_KIND)
          this.warn(`further ${PROBLEM_KINDS[p.kind].noun} are counted, not printed`);
      }
    }
    for (const kind of Object.keys(this.counts) as ProblemKind[]) this.counts[kind] += r.problemCounts[kind];
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}

/**
 * A message quoting input (JSON.parse quotes the text it stopped at) may hold control bytes; they are
 * escaped as \xNN so they cannot move the cursor or recolour the terminal.
 */
export function escapeControls(s: string): string {
  return s.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
