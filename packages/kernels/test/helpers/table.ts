// Runs a parity case table: one runner per op, every case under every ISA this CPU supports, and
// (for the cases big enough to be split across threads) under different thread counts.
import { describe, expect, it } from "vitest";
import { numThreads, setNumThreads, withIsa } from "../../src/index";
import { type BufferScope, withBuffers } from "./buffers";
import { isas, Rng } from "./native";

export type CaseRunner<C> = (c: C, rng: Rng, s: BufferScope) => void;

interface TableCase {
  op: string;
  name: string;
}

/** Registers, inside the caller's describe: a check that every case has a runner, then each case per ISA. */
export function parityTable<C extends TableCase>(
  cases: readonly C[],
  runners: Readonly<Record<string, CaseRunner<C>>>,
  seed: number,
): void {
  it("every case has a runner", () => {
    expect(cases.filter((c) => !runners[c.op]).map((c) => c.op)).toEqual([]);
  });
  for (const isa of isas()) {
    describe(isa, () => {
      cases.forEach((c, i) => {
        it(`${c.op} ${c.name}`, () => {
          withIsa(isa, () => withBuffers((s) => runners[c.op]!(c, new Rng(seed + i), s)));
        });
      });
    });
  }
}

/** Registers each case under each thread count (ranges and partial sums split differently). */
export function threadTable<C extends TableCase>(
  cases: readonly C[],
  runners: Readonly<Record<string, CaseRunner<C>>>,
  seed: number,
  threadCounts: readonly number[] = [1, 3],
): void {
  for (const threads of threadCounts) {
    cases.forEach((c, i) => {
      it(`${threads} threads: ${c.op} ${c.name}`, () => {
        const before = numThreads();
        setNumThreads(threads);
        try {
          withBuffers((s) => runners[c.op]!(c, new Rng(seed + i), s));
        } finally {
          setNumThreads(before);
        }
      });
    });
  }
}
