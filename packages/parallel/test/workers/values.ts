// The values the collectives workers contribute and the exact comparison they check results with.
import { floatToBf16 } from "./bf16";

/** The value rank r contributes at element i (an integer, exact in fp32 and in sums of a few ranks). */
export const val = (r: number, i: number) => (r + 1) * (i % 13) - r;

/** A bf16 value with a fraction, so that sums round when narrowed to bf16. */
export const bfVal = (r: number, i: number) =>
  floatToBf16((1 + ((i * 7 + r * 3) % 128) / 128) * 2 ** ((i + r) % 3));

export function expectEqual(what: string, got: ArrayLike<number>, want: (i: number) => number): void {
  for (let i = 0; i < got.length; i++) {
    const w = want(i);
    if (got[i] !== w) throw new Error(`${what}: element ${i} is ${got[i]}, expected ${w}`);
  }
}
