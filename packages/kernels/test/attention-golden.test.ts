// The float64 references of the attention group against PyTorch golden values
// (test/fixtures/attention-golden.json, made by tools/fixtures/attention/golden.py): dense
// GPT-NeoX-style attention with autograd gradients, GPT-NeoX's fp32 rotary tables and rotation,
// and ALiBi slopes for power-of-two and other head counts.
import { readFileSync } from "node:fs";
import { describe, it } from "vitest";
import { alibiSlopes } from "../src/reference/alibi";
import * as attn from "../src/reference/attention";
import * as rot from "../src/reference/rotary";
import { expectClose, roundTo } from "./helpers/native";

interface AttentionGolden {
  B: number;
  Tq: number;
  Tk: number;
  NH: number;
  NKV: number;
  HS: number;
  window: number;
  alibi: boolean;
  q: number[];
  k: number[];
  v: number[];
  dout: number[];
  out: number[];
  lse: number[];
  dq: number[];
  dk: number[];
  dv: number[];
}
interface RotaryGolden {
  B: number;
  T: number;
  NH: number;
  HS: number;
  rotDim: number;
  base: number;
  cos: number[];
  sin: number[];
  x: number[];
  out: number[];
}
const golden = JSON.parse(
  readFileSync(new URL("./fixtures/attention-golden.json", import.meta.url), "utf8"),
) as {
  attention: AttentionGolden[];
  rotary: RotaryGolden[];
  alibiSlopes: Record<string, number[]>;
};

const F64 = { atol: 1e-12, rtol: 1e-10 };
const f64 = (a: number[]) => Float64Array.from(a);

describe("attention reference vs PyTorch", () => {
  for (const g of golden.attention) {
    it(`B=${g.B} Tq=${g.Tq} Tk=${g.Tk} NH=${g.NH} NKV=${g.NKV} HS=${g.HS} window=${g.window} alibi=${g.alibi}`, () => {
      const d: attn.AttentionDims = { ...g, scale: 1 / Math.sqrt(g.HS) };
      let slopes: Float64Array | null = null;
      if (g.alibi) {
        slopes = new Float64Array(g.NH);
        alibiSlopes(slopes, g.NH);
        slopes = roundTo(slopes, "f32"); // GPT-NeoX keeps the slopes as an fp32 buffer
      }
      const out = new Float64Array(g.out.length);
      const lse = new Float64Array(g.lse.length);
      attn.attentionForward(out, lse, f64(g.q), f64(g.k), f64(g.v), slopes, d);
      expectClose(out, g.out, F64, "out");
      expectClose(lse, g.lse, F64, "lse");
      const dq = new Float64Array(g.q.length);
      const dk = new Float64Array(g.k.length);
      const dv = new Float64Array(g.v.length);
      attn.attentionBackward(dq, dk, dv, f64(g.dout), f64(g.q), f64(g.k), f64(g.v), out, lse, slopes, d);
      expectClose(dq, g.dq, F64, "dq");
      expectClose(dk, g.dk, F64, "dk");
      expectClose(dv, g.dv, F64, "dv");
    });
  }
});

describe("rotary reference vs PyTorch (GPT-NeoX RotaryEmbedding)", () => {
  for (const g of golden.rotary) {
    it(`T=${g.T} HS=${g.HS} rotDim=${g.rotDim} base=${g.base}`, () => {
      const half = g.rotDim / 2;
      const cos = new Float64Array(g.T * half);
      const sin = new Float64Array(g.T * half);
      rot.rotaryTable(cos, sin, g.T, g.rotDim, g.base);
      // Same fp32 angle; torch's fp32 cos/sin are within an ulp or two of the exact value.
      expectClose(roundTo(cos, "f32"), g.cos, { atol: 2.5e-7, rtol: 0 }, "cos");
      expectClose(roundTo(sin, "f32"), g.sin, { atol: 2.5e-7, rtol: 0 }, "sin");
      const out = new Float64Array(g.x.length);
      const d = { B: g.B, T: g.T, NH: g.NH, HS: g.HS, rotDim: g.rotDim, posOffset: 0 };
      rot.rotaryForward(out, f64(g.x), f64(g.cos), f64(g.sin), d);
      expectClose(out, g.out, F64, "out");
    });
  }
});

describe("ALiBi slopes vs GPT-NeoX's formula", () => {
  it("matches for power-of-two and other head counts", () => {
    for (const [n, want] of Object.entries(golden.alibiSlopes)) {
      const got = new Float64Array(Number(n));
      alibiSlopes(got, Number(n));
      // JS ** and Python pow may differ in the last bit; the fp32 slopes the kernels use are equal.
      expectClose(got, want, { atol: 0, rtol: 1e-13 }, `NH=${n}`);
    }
  });
});
