// GPT-NeoX's split string (`data_utils.get_train_valid_test_split_`, neox-spec §2d): "969, 30, 1" or
// "8/1/1" become contiguous, unshuffled document ranges for train, valid and test.

/** Python's float() for the parts of a split string: surrounding whitespace allowed, inf/nan accepted. */
function pyFloat(part: string, whole: string): number {
  const s = part.trim().replace(/(\d)_(?=\d)/g, "$1");
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special)
    return special[2]!.toLowerCase() === "nan" ? Number.NaN : special[1] === "-" ? -Infinity : Infinity;
  throw new Error(`split "${whole}": "${part}" is not a number (GPT-NeoX reads each part with float())`);
}

/** Python 3 round() of a float to an int: halves go to the even neighbour. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The three weights of a split string, normalised to sum to 1. */
export function parseSplit(split: string): [number, number, number] {
  const sep = split.includes(",") ? "," : split.includes("/") ? "/" : undefined;
  const parts = (sep ? split.split(sep) : [split]).map((p) => pyFloat(p, split));
  while (parts.length < 3) parts.push(0);
  const three = parts.slice(0, 3);
  let sum = 0;
  for (const p of three) sum += p; // Python sum(), left to right
  if (!(sum > 0)) throw new Error(`split "${split}": the first three parts must sum to more than 0`);
  return three.map((p) => p / sum) as [number, number, number];
}

/**
 * Document boundaries [0, a, b, size] of the train/valid/test ranges over `size` documents:
 * idx[k+1] = idx[k] + round(split_k · size), then all but idx[0] shifted so idx[3] == size.
 */
export function splitBoundaries(split: string, size: number): [number, number, number, number] {
  const parts = parseSplit(split);
  const idx = [0];
  for (let k = 0; k < 3; k++) {
    const r = parts[k]! * size;
    if (!Number.isFinite(r)) throw new Error(`split "${split}": part ${k} is not finite`);
    idx.push(idx[k]! + pyRound(r));
  }
  const diff = idx[3]! - size;
  for (let k = 1; k < 4; k++) idx[k]! -= diff;
  return idx as [number, number, number, number];
}

export const SPLIT_NAMES = ["train", "valid", "test"] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];
