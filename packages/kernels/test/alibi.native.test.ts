// Native ALiBi slopes and bias against the float64 reference (test/cases/attention.ts alibiCases)
// under every ISA.
import { expect, it } from "vitest";
import { alibiBias, alibiSlopes, NativeBuffer, withIsa } from "../src/index";
import * as ref from "../src/reference/alibi";
import { type AlibiCase, alibiCases } from "./cases/attention";
import { describeNative, expectClose, fromNative, isas, roundTo } from "./helpers/native";

function runCase(c: AlibiCase): void {
  const slopes = new NativeBuffer(c.NH);
  const bias = new NativeBuffer(c.NH * c.Tq * c.Tk);
  try {
    alibiSlopes(slopes.address, c.NH);
    const rs = new Float64Array(c.NH);
    ref.alibiSlopes(rs, c.NH);
    if (c.op === "alibiSlopes") {
      expectClose(fromNative(slopes), rs, c.tol!, "slopes");
      return;
    }
    alibiBias(bias.address, slopes.address, c.NH, c.Tq, c.Tk);
    const rb = new Float64Array(c.NH * c.Tq * c.Tk);
    ref.alibiBias(rb, roundTo(rs, "f32"), c.NH, c.Tq, c.Tk);
    expectClose(fromNative(bias), rb, c.tol!, "bias");
  } finally {
    slopes.free();
    bias.free();
  }
}

describeNative("ALiBi parity (float64 reference)", () => {
  for (const isa of isas()) {
    for (const c of alibiCases) it(`${isa} ${c.op} ${c.name}`, () => withIsa(isa, () => runCase(c)));
  }

  it("rejects Tk < Tq, naming the sizes", () => {
    const b = new NativeBuffer(16);
    try {
      expect(() => alibiBias(b.address, b.address, 1, 4, 2)).toThrow(
        /alibiBias: .*Tk >= Tq; got NH=1 Tq=4 Tk=2/,
      );
    } finally {
      b.free();
    }
  });
});
