// Native fused attention against the float64 reference, for every case of
// test/cases/attention.ts under every ISA this CPU supports. Inputs are drawn in float64, stored
// as fp32 and read back, so the reference sees exactly the values the kernel sees. The backward
// takes the reference's out/lse (rounded to fp32) so its error is its own. Gaps of strided
// layouts are pre-filled with a sentinel that must survive.
import { expect, it } from "vitest";
import { attentionBackward, attentionForward, NativeBuffer, qkvViews, withIsa } from "../src/index";
import type { HeadStrides } from "../src/ops/attention";
import { alibiSlopes } from "../src/reference/alibi";
import * as ref from "../src/reference/attention";
import { type AttentionCase, attentionCases } from "./cases/attention";
import { describeNative, expectClose, isas, Rng, roundTo } from "./helpers/native";

const SENTINEL = 12345;

interface View {
  offset: number;
  s: HeadStrides;
}
interface Layout {
  /** Element count of each buffer; views name their buffer by index. */
  sizes: number[];
  q: View & { buf: number };
  k: View & { buf: number };
  v: View & { buf: number };
}

function layoutOf(c: AttentionCase): Layout {
  const dense = (T: number, H: number) => ({ b: T * H * c.HS, t: H * c.HS, h: c.HS });
  const qn = c.B * c.Tq * c.NH * c.HS;
  const kn = c.B * c.Tk * c.NKV * c.HS;
  switch (c.layout) {
    case "dense":
      return {
        sizes: [qn, kn, kn],
        q: { buf: 0, offset: 0, s: dense(c.Tq, c.NH) },
        k: { buf: 1, offset: 0, s: dense(c.Tk, c.NKV) },
        v: { buf: 2, offset: 0, s: dense(c.Tk, c.NKV) },
      };
    case "fused": {
      const f = qkvViews(c.Tq, c.NH, c.NKV, c.HS);
      return {
        sizes: [c.B * c.Tq * f.width],
        q: { buf: 0, offset: f.offsets.q, s: f.q },
        k: { buf: 0, offset: f.offsets.k, s: f.k },
        v: { buf: 0, offset: f.offsets.v, s: f.v },
      };
    }
    case "headMajor": {
      const hm = (T: number, H: number) => ({ b: H * T * c.HS, t: c.HS, h: T * c.HS });
      return {
        sizes: [qn, kn, kn],
        q: { buf: 0, offset: 0, s: hm(c.Tq, c.NH) },
        k: { buf: 1, offset: 0, s: hm(c.Tk, c.NKV) },
        v: { buf: 2, offset: 0, s: hm(c.Tk, c.NKV) },
      };
    }
    case "padded": {
      const pad = (T: number, H: number) => ({
        b: T * (H * (c.HS + 1) + 3) + 5,
        t: H * (c.HS + 1) + 3,
        h: c.HS + 1,
      });
      const qs = pad(c.Tq, c.NH);
      const ks = pad(c.Tk, c.NKV);
      return {
        sizes: [c.B * qs.b + 2, c.B * ks.b + 2, c.B * ks.b + 2],
        q: { buf: 0, offset: 2, s: qs },
        k: { buf: 1, offset: 2, s: ks },
        v: { buf: 2, offset: 2, s: ks },
      };
    }
  }
}

/** Visits every element of a (B, T, H, HS) view: fn(dense index, buffer index). */
function forEach(v: View, B: number, T: number, H: number, HS: number, fn: (i: number, at: number) => void) {
  let i = 0;
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < H; h++)
        for (let e = 0; e < HS; e++) fn(i++, v.offset + b * v.s.b + t * v.s.t + h * v.s.h + e);
}

function gather(buf: Float32Array, v: View, B: number, T: number, H: number, HS: number): Float64Array {
  const out = new Float64Array(B * T * H * HS);
  forEach(v, B, T, H, HS, (i, at) => {
    out[i] = buf[at]!;
  });
  return out;
}

function runCase(c: AttentionCase, seed: number): void {
  const rng = new Rng(seed);
  const L = layoutOf(c);
  const dims: ref.AttentionDims = { ...c, scale: 1 / Math.sqrt(c.HS) };
  const shape = {
    B: c.B,
    Tq: c.Tq,
    Tk: c.Tk,
    NH: c.NH,
    NKV: c.NKV,
    HS: c.HS,
    window: c.window,
    q: L.q.s,
    k: L.k.s,
    v: L.v.s,
  };
  const owned: NativeBuffer[] = [];
  const buffer = (n: number) => {
    const b = new NativeBuffer(n);
    owned.push(b);
    return b;
  };
  try {
    const inputs = L.sizes.map((n) => {
      const b = buffer(n);
      b.f32().set(rng.normalArray(n));
      return b;
    });
    const addr = (view: View & { buf: number }, bufs: NativeBuffer[]) =>
      bufs[view.buf]!.address + 4 * view.offset;
    const q = gather(inputs[L.q.buf]!.f32(), L.q, c.B, c.Tq, c.NH, c.HS);
    const k = gather(inputs[L.k.buf]!.f32(), L.k, c.B, c.Tk, c.NKV, c.HS);
    const v = gather(inputs[L.v.buf]!.f32(), L.v, c.B, c.Tk, c.NKV, c.HS);
    let slopes: Float64Array | null = null;
    let slopesAddr = 0;
    if (c.alibi) {
      const s = new Float64Array(c.NH);
      alibiSlopes(s, c.NH);
      slopes = roundTo(s, "f32");
      const sb = buffer(c.NH);
      sb.f32().set(slopes);
      slopesAddr = sb.address;
    }
    const nOut = c.B * c.Tq * c.NH * c.HS;
    const refOut = new Float64Array(nOut);
    const refLse = new Float64Array(c.B * c.NH * c.Tq);
    ref.attentionForward(refOut, refLse, q, k, v, slopes, dims);

    if (c.op === "attentionForward") {
      const out = buffer(nOut);
      const lse = buffer(c.B * c.NH * c.Tq);
      attentionForward(
        out.address,
        lse.address,
        addr(L.q, inputs),
        addr(L.k, inputs),
        addr(L.v, inputs),
        slopesAddr,
        shape,
      );
      expectClose(out.f32(), refOut, c.tol!, "out");
      expectClose(lse.f32(), refLse, c.tol!, "lse");
      return;
    }

    const outR = roundTo(refOut, "f32");
    const lseR = roundTo(refLse, "f32");
    const dout = roundTo(rng.normalArray(nOut), "f32");
    const nat = (data: Float64Array) => {
      const b = buffer(data.length);
      b.f32().set(data);
      return b;
    };
    const outB = nat(outR);
    const lseB = nat(lseR);
    const doutB = nat(dout);
    const grads = L.sizes.map((n) => {
      const b = buffer(n);
      b.f32().fill(SENTINEL);
      return b;
    });
    attentionBackward(
      addr(L.q, grads),
      addr(L.k, grads),
      addr(L.v, grads),
      doutB.address,
      addr(L.q, inputs),
      addr(L.k, inputs),
      addr(L.v, inputs),
      outB.address,
      lseB.address,
      slopesAddr,
      shape,
    );
    const dq = new Float64Array(q.length);
    const dk = new Float64Array(k.length);
    const dv = new Float64Array(v.length);
    ref.attentionBackward(dq, dk, dv, dout, q, k, v, outR, lseR, slopes, dims);
    expectClose(gather(grads[L.q.buf]!.f32(), L.q, c.B, c.Tq, c.NH, c.HS), dq, c.tol!, "dq");
    expectClose(gather(grads[L.k.buf]!.f32(), L.k, c.B, c.Tk, c.NKV, c.HS), dk, c.tol!, "dk");
    expectClose(gather(grads[L.v.buf]!.f32(), L.v, c.B, c.Tk, c.NKV, c.HS), dv, c.tol!, "dv");
    // Everything outside the three views keeps the sentinel.
    const touched = L.sizes.map((n) => new Uint8Array(n));
    forEach(L.q, c.B, c.Tq, c.NH, c.HS, (_, at) => {
      touched[L.q.buf]![at] = 1;
    });
    forEach(L.k, c.B, c.Tk, c.NKV, c.HS, (_, at) => {
      touched[L.k.buf]![at] = 1;
    });
    forEach(L.v, c.B, c.Tk, c.NKV, c.HS, (_, at) => {
      touched[L.v.buf]![at] = 1;
    });
    grads.forEach((g, bi) => {
      const f = g.f32();
      for (let i = 0; i < f.length; i++) {
        if (!touched[bi]![i] && f[i] !== SENTINEL)
          throw new Error(`gradient buffer ${bi} gap [${i}] was written`);
      }
    });
  } finally {
    for (const b of owned) b.free();
  }
}

describeNative("fused attention parity (float64 reference)", () => {
  for (const isa of isas()) {
    attentionCases.forEach((c, i) => {
      it(`${isa} ${c.op} ${c.name}`, () => withIsa(isa, () => runCase(c, 1000 + i)));
    });
  }

  it("rejects inconsistent sizes with a message naming them", () => {
    const b = new NativeBuffer(64);
    try {
      const a = b.address;
      expect(() => attentionForward(a, a, a, a, a, 0, { B: 1, Tq: 2, NH: 3, NKV: 2, HS: 4 })).toThrow(
        /attentionForward: attention: NH \(3\) must be a multiple of NKV \(2\)/,
      );
      expect(() => attentionForward(a, a, a, a, a, 0, { B: 1, Tq: 4, Tk: 2, NH: 1, HS: 4 })).toThrow(
        /Tk \(2\) must be >= Tq \(4\)/,
      );
      expect(() => attentionForward(0, a, a, a, a, 0, { B: 1, Tq: 1, NH: 1, HS: 4 })).toThrow(
        /argument 0 is the null address/,
      );
    } finally {
      b.free();
    }
  });
});
