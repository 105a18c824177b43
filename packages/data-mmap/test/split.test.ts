// Split strings against Python's get_train_valid_test_split_ (neox_reference.split_boundaries; Python round).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSplit, pyRound, splitBoundaries } from "../src/index";
import { fixture } from "./fixture-path";

const CASES = (
  JSON.parse(readFileSync(fixture("split.json"), "utf8")) as {
    cases: { split: string; size: number; boundaries: number[] }[];
  }
).cases;

describe("split string", () => {
  for (const c of CASES) {
    it(`"${c.split}" over ${c.size} documents`, () => {
      expect(splitBoundaries(c.split, c.size)).toEqual(c.boundaries);
    });
  }

  it("the examples of neox-spec §2d", () => {
    expect(splitBoundaries("969, 30, 1", 1000)).toEqual([0, 969, 999, 1000]);
    expect(splitBoundaries("969, 30, 1", 10)).toEqual([0, 10, 10, 10]);
    expect(splitBoundaries("949,50,1", 7)).toEqual([0, 7, 7, 7]);
    expect(splitBoundaries("8/1/1", 15)).toEqual([0, 11, 13, 15]);
  });

  it("rounds halves to even like Python's round", () => {
    expect([0.5, 1.5, 2.5, 3.5, -1.5, 2.4999, 2.5001].map(pyRound)).toEqual([0, 2, 2, 4, -2, 2, 3]);
  });

  it("rejects what float() rejects and an all-zero split", () => {
    expect(() => parseSplit("969, x, 1")).toThrow(/"969, x, 1": " x" is not a number/);
    expect(() => parseSplit("0,0,0")).toThrow(/sum to more than 0/);
    expect(parseSplit("1,1,1,5")).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });
});
