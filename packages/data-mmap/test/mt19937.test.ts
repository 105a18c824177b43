// MT19937, random_interval and shuffle against numpy's RandomState (fixtures from
// tools/fixtures/data/make_fixtures.py: raw words, legacy randint draws, shuffles of several dtypes).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MT19937 } from "../src/index";
import { fixture } from "./fixture-path";

const mt = JSON.parse(readFileSync(fixture("mt19937.json"), "utf8")) as { seeds: Record<string, number[]> };
const ri = JSON.parse(readFileSync(fixture("random-interval.json"), "utf8")) as {
  cases: { seed: number; maxes: number[]; values: number[] }[];
};
const sh = JSON.parse(readFileSync(fixture("shuffle.json"), "utf8")) as {
  cases: {
    seed: number;
    dtype: "int32" | "uint32" | "int64";
    arrays: { n: number; values: number[] }[];
    big: { n: number; sha256: string; head: number[] };
  }[];
};

function make(dtype: string, n: number): Int32Array | Uint32Array | Float64Array {
  const a =
    dtype === "int32" ? new Int32Array(n) : dtype === "uint32" ? new Uint32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function sha256Int64(a: ArrayLike<number>): string {
  const b = new BigInt64Array(a.length);
  for (let i = 0; i < a.length; i++) b[i] = BigInt(a[i]!);
  return createHash("sha256").update(new Uint8Array(b.buffer)).digest("hex");
}

describe("MT19937", () => {
  for (const [seed, words] of Object.entries(mt.seeds)) {
    it(`matches numpy RandomState(${seed}) for the first ${words.length} words`, () => {
      const rng = new MT19937(Number(seed));
      expect(Array.from({ length: words.length }, () => rng.nextUint32())).toEqual(words);
    });
  }

  it("rejects seeds numpy rejects", () => {
    expect(() => new MT19937(-1)).toThrow(/between 0 and 2\*\*32 - 1/);
    expect(() => new MT19937(2 ** 32)).toThrow(/got 4294967296/);
    expect(() => new MT19937(1.5)).toThrow();
  });
});

describe("random_interval", () => {
  for (const c of ri.cases) {
    it(`draws as numpy's masked rejection for seed ${c.seed}, 32- and 64-bit bounds`, () => {
      const rng = new MT19937(c.seed);
      expect(c.maxes.map((m) => rng.randomInterval(m))).toEqual(c.values);
    });
  }
});

describe("shuffle", () => {
  for (const c of sh.cases) {
    it(`matches numpy for seed ${c.seed}, ${c.dtype}, consecutive shuffles on one stream`, () => {
      const rng = new MT19937(c.seed);
      for (const { n, values } of c.arrays) {
        const a = make(c.dtype, n);
        rng.shuffle(a);
        expect(Array.from(a), `n=${n}`).toEqual(values);
      }
      const big = make(c.dtype, c.big.n);
      rng.shuffle(big);
      expect(Array.from(big.subarray(0, 20))).toEqual(c.big.head);
      expect(sha256Int64(big)).toBe(c.big.sha256);
    });
  }
});
