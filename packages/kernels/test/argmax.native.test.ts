// Row argmax against the float64 reference under every ISA (cases: test/cases/loss.ts). Indices
// must match exactly: the first maximum on ties, NaN skipped.
import { expect, it } from "vitest";
import { nativeFunction, view, withIsa } from "../src/index";
import { argmaxRows } from "../src/reference/argmax";
import { type ArgmaxCase, argmaxCases } from "./cases/loss";
import { f32, withBuffers } from "./helpers/buffers";
import { describeNative, isas, Rng } from "./helpers/native";

type Argmax = (out: number, inp: number, R: number, V: number) => void;

function values(c: ArgmaxCase, rng: Rng): Float64Array {
  const n = c.R * c.V;
  switch (c.values) {
    case "normal":
      return f32(rng.normalArray(n));
    case "ties":
      return Float64Array.from({ length: n }, () => Math.floor(rng.uniform() * 4));
    case "nan": {
      const x = f32(rng.normalArray(n));
      for (let i = 0; i < n; i++) if (i % c.V === 0 || rng.uniform() < 0.1) x[i] = Number.NaN;
      return x;
    }
    case "edge": {
      const x = Float64Array.from({ length: n }, () => (rng.uniform() < 0.5 ? Number.NaN : -Infinity));
      // the last row all NaN: 0
      x.fill(Number.NaN, (c.R - 1) * c.V);
      return x;
    }
  }
}

describeNative("argmaxRows parity", () => {
  for (const isa of isas()) {
    for (const [i, c] of argmaxCases.entries()) {
      it(`${isa}: ${c.name}`, () => {
        const x = values(c, new Rng(500 + i));
        const want = new Int32Array(c.R);
        argmaxRows(want, x, c.R, c.V);
        withBuffers((s) => {
          const out = s.i32(new Int32Array(c.R).fill(-7));
          withIsa(isa, () => nativeFunction<Argmax>("argmaxRows")(out.address, s.f32(x).address, c.R, c.V));
          expect(new Int32Array(view(out.address, c.R * 4))).toEqual(want);
        });
      });
    }
  }

  it("the reference's rules: first of equal maxima, NaN skipped, all-NaN row 0", () => {
    const out = new Int32Array(4);
    argmaxRows(
      out,
      [1, 3, 3, Number.NaN, Number.NaN, 2, -Infinity, Number.NaN, Number.NaN, Number.NaN, 0, -1],
      4,
      3,
    );
    expect([...out]).toEqual([1, 2, 0, 1]);
  });

  it("V = 0 is an error", () => {
    withBuffers((s) => {
      const out = s.i32(new Int32Array(1));
      expect(() => nativeFunction<Argmax>("argmaxRows")(out.address, s.f32([1]).address, 1, 0)).toThrow(/V/);
    });
  });
});
