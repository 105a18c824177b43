// Native rotary embedding against the float64 reference (test/cases/attention.ts rotary tables)
// under every ISA: the cos/sin table, forward and backward on dense, fused-QKV (strided) and
// in-place layouts; channels past rotDim must pass through unchanged.
import { expect, it } from "vitest";
import { NativeBuffer, qkvViews, rotaryBackward, rotaryForward, rotaryTable, withIsa } from "../src/index";
import type { HeadStrides } from "../src/ops/attention";
import * as ref from "../src/reference/rotary";
import { type RotaryCase, rotaryCases, rotaryTableCases } from "./cases/attention";
import { describeNative, expectClose, fromNative, isas, Rng, roundTo } from "./helpers/native";

function runTable(nPos: number, rotDim: number, base: number, tol: { atol: number; rtol: number }): void {
  const half = rotDim / 2;
  const cos = new NativeBuffer(nPos * half);
  const sin = new NativeBuffer(nPos * half);
  try {
    rotaryTable(cos.address, sin.address, nPos, rotDim, base);
    const rc = new Float64Array(nPos * half);
    const rs = new Float64Array(nPos * half);
    ref.rotaryTable(rc, rs, nPos, rotDim, base);
    expectClose(fromNative(cos), rc, tol, "cos");
    expectClose(fromNative(sin), rs, tol, "sin");
  } finally {
    cos.free();
    sin.free();
  }
}

function runCase(c: RotaryCase, seed: number): void {
  const rng = new Rng(seed);
  const d: ref.RotaryDims = { B: c.B, T: c.T, NH: c.NH, HS: c.HS, rotDim: c.rotDim, posOffset: c.posOffset };
  const n = c.B * c.T * c.NH * c.HS;
  const nPos = c.T + c.posOffset;
  const half = c.rotDim / 2;
  // The tables the kernel uses, taken from the reference so this test checks the rotation alone.
  const rc = new Float64Array(nPos * half);
  const rs = new Float64Array(nPos * half);
  ref.rotaryTable(rc, rs, nPos, c.rotDim, c.base);
  const owned: NativeBuffer[] = [];
  const nat = (data: ArrayLike<number>) => {
    const b = new NativeBuffer(data.length);
    b.f32().set(data);
    owned.push(b);
    return b;
  };
  try {
    const cos = nat(roundTo(rc, "f32"));
    const sin = nat(roundTo(rs, "f32"));
    // Input view: dense, or the q view of an interleaved QKV buffer (head stride 3·HS).
    const fused = c.layout === "fused";
    const f = qkvViews(c.T, c.NH, c.NH, c.HS);
    const strides: HeadStrides = fused ? f.q : { b: c.T * c.NH * c.HS, t: c.NH * c.HS, h: c.HS };
    const total = fused ? c.B * c.T * f.width : n;
    const raw = roundTo(rng.normalArray(total), "f32");
    const at = (i: number) => {
      const e = i % c.HS;
      const h = Math.floor(i / c.HS) % c.NH;
      const t = Math.floor(i / (c.HS * c.NH)) % c.T;
      const b = Math.floor(i / (c.HS * c.NH * c.T));
      return b * strides.b + t * strides.t + h * strides.h + e;
    };
    const x = Float64Array.from({ length: n }, (_, i) => raw[at(i)]!);
    const inp = nat(raw);
    const out = c.layout === "inPlace" ? inp : nat(new Float64Array(total).fill(7));
    const expected = new Float64Array(n);
    if (c.op === "rotaryForward") {
      rotaryForward(
        out.address,
        inp.address,
        cos.address,
        sin.address,
        { ...d },
        { out: strides, inp: strides },
      );
      ref.rotaryForward(expected, x, roundTo(rc, "f32"), roundTo(rs, "f32"), d);
    } else {
      rotaryBackward(
        out.address,
        inp.address,
        cos.address,
        sin.address,
        { ...d },
        { dinp: strides, dout: strides },
      );
      ref.rotaryBackward(expected, x, roundTo(rc, "f32"), roundTo(rs, "f32"), d);
    }
    const got = out.f32();
    expectClose(
      Float64Array.from({ length: n }, (_, i) => got[at(i)]!),
      expected,
      c.tol!,
      c.op,
    );
    // Pass-through channels are copied exactly, and the k/v parts of a fused buffer untouched.
    for (let i = 0; i < n; i++) {
      if (i % c.HS >= c.rotDim && got[at(i)] !== x[i]) throw new Error(`pass-through channel [${i}] changed`);
    }
    if (fused) {
      const covered = new Uint8Array(total);
      for (let i = 0; i < n; i++) covered[at(i)] = 1;
      for (let i = 0; i < total; i++)
        if (!covered[i] && got[i] !== 7) throw new Error(`fused gap [${i}] was written`);
    }
  } finally {
    for (const b of owned) b.free();
  }
}

describeNative("rotary embedding parity (float64 reference)", () => {
  for (const isa of isas()) {
    for (const c of rotaryTableCases) {
      it(`${isa} rotaryTable ${c.name}`, () =>
        withIsa(isa, () => runTable(c.nPos, c.rotDim, c.base, c.tol!)));
    }
    rotaryCases.forEach((c, i) => {
      it(`${isa} ${c.op} ${c.name}`, () => withIsa(isa, () => runCase(c, 2000 + i)));
    });
  }

  it("rejects an odd or too large rotDim, naming it", () => {
    const b = new NativeBuffer(64);
    try {
      const a = b.address;
      const shape = { B: 1, T: 1, NH: 1, HS: 4, rotDim: 3 };
      expect(() => rotaryForward(a, a, a, a, shape)).toThrow(
        /rotaryForward: rotary: rot_dim must be even.*got 3/,
      );
      expect(() => rotaryForward(a, a, a, a, { ...shape, rotDim: 6 })).toThrow(/<= HS \(4\), got 6/);
      expect(() => rotaryTable(a, a, 4, 5)).toThrow(/rotaryTable: rotary_table: rot_dim must be even/);
    } finally {
      b.free();
    }
  });
});
