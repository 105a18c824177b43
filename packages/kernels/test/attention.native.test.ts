// Native fused attention (fp32 and bf16 storage) against the float64 reference, for every case of
// test/cases/attention.ts under every ISA this CPU supports. Inputs are drawn in float64 and
// rounded to the storage dtype, so the reference sees exactly the values the kernel sees. The backward
// takes the reference's out/lse (rounded to fp32) so its error is its own. Gaps of strided
// layouts are pre-filled with a sentinel that must survive.
import { expect, it } from "vitest";
import {
  allocStats,
  attentionBackward,
  attentionBackwardBf16,
  attentionForward,
  attentionForwardBf16,
  DTYPE_BYTES,
  type Dtype,
  NativeBuffer,
  qkvViews,
  withIsa,
} from "../src/index";
import type { HeadStrides } from "../src/ops/attention";
import { alibiSlopes } from "../src/reference/alibi";
import * as ref from "../src/reference/attention";
import {
  type AttentionCase,
  attentionBf16Cases,
  attentionCases,
  attentionDropoutBf16Cases,
  attentionDropoutCases,
} from "./cases/attention";
import { describeNative, expectClose, fromNative, isas, Rng, roundTo, toNative } from "./helpers/native";

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

function gather(data: Float64Array, v: View, B: number, T: number, H: number, HS: number): Float64Array {
  const out = new Float64Array(B * T * H * HS);
  forEach(v, B, T, H, HS, (i, at) => {
    out[i] = data[at]!;
  });
  return out;
}

function runCase(c: AttentionCase, seed: number): void {
  const rng = new Rng(seed);
  const dtype: Dtype = c.op.endsWith("Bf16") ? "bf16" : "f32";
  const L = layoutOf(c);
  const dims: ref.AttentionDims = { ...c, scale: 1 / Math.sqrt(c.HS) };
  const drop = c.dropout ?? null;
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
  const nat = (data: Float64Array, dt: Dtype = dtype) => {
    const b = toNative(data, dt);
    owned.push(b);
    return b;
  };
  try {
    // Inputs hold values exactly representable in the storage dtype, so the reference sees
    // exactly what the kernel sees.
    const data = L.sizes.map((n) => roundTo(rng.normalArray(n), dtype));
    const inputs = data.map((d) => nat(d));
    const bytes = DTYPE_BYTES[dtype];
    const addr = (view: View & { buf: number }, bufs: NativeBuffer[]) =>
      bufs[view.buf]!.address + bytes * view.offset;
    const q = gather(data[L.q.buf]!, L.q, c.B, c.Tq, c.NH, c.HS);
    const k = gather(data[L.k.buf]!, L.k, c.B, c.Tk, c.NKV, c.HS);
    const v = gather(data[L.v.buf]!, L.v, c.B, c.Tk, c.NKV, c.HS);
    let slopes: Float64Array | null = null;
    let slopesAddr = 0;
    if (c.alibi) {
      const s = new Float64Array(c.NH);
      alibiSlopes(s, c.NH);
      slopes = roundTo(s, "f32");
      slopesAddr = nat(slopes, "f32").address;
    }
    const nOut = c.B * c.Tq * c.NH * c.HS;
    const refOut = new Float64Array(nOut);
    const refLse = new Float64Array(c.B * c.NH * c.Tq);
    ref.attentionForward(refOut, refLse, q, k, v, slopes, dims, drop);

    if (c.op === "attentionForward" || c.op === "attentionForwardBf16") {
      const out = nat(new Float64Array(nOut));
      const lse = nat(new Float64Array(c.B * c.NH * c.Tq), "f32");
      const fwd = dtype === "bf16" ? attentionForwardBf16 : attentionForward;
      fwd(
        out.address,
        lse.address,
        addr(L.q, inputs),
        addr(L.k, inputs),
        addr(L.v, inputs),
        slopesAddr,
        shape,
        c.dropout,
      );
      expectClose(fromNative(out), refOut, c.tol!, "out");
      // lse is fp32 on both paths, computed from the same inputs
      expectClose(fromNative(lse), refLse, { atol: 1e-5, rtol: 1e-5 }, "lse");
      return;
    }

    const outR = roundTo(refOut, dtype);
    const lseR = roundTo(refLse, "f32");
    const dout = roundTo(rng.normalArray(nOut), dtype);
    const outB = nat(outR);
    const lseB = nat(lseR, "f32");
    const doutB = nat(dout);
    const sentinel = roundTo([SENTINEL], dtype)[0]!;
    const grads = L.sizes.map((n) => nat(new Float64Array(n).fill(SENTINEL)));
    const bwd = dtype === "bf16" ? attentionBackwardBf16 : attentionBackward;
    bwd(
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
      c.dropout,
    );
    const dq = new Float64Array(q.length);
    const dk = new Float64Array(k.length);
    const dv = new Float64Array(v.length);
    ref.attentionBackward(dq, dk, dv, dout, q, k, v, outR, lseR, slopes, dims, drop);
    const got = grads.map((g) => fromNative(g));
    expectClose(gather(got[L.q.buf]!, L.q, c.B, c.Tq, c.NH, c.HS), dq, c.tol!, "dq");
    expectClose(gather(got[L.k.buf]!, L.k, c.B, c.Tk, c.NKV, c.HS), dk, c.tol!, "dk");
    expectClose(gather(got[L.v.buf]!, L.v, c.B, c.Tk, c.NKV, c.HS), dv, c.tol!, "dv");
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
    got.forEach((f, bi) => {
      for (let i = 0; i < f.length; i++) {
        if (!touched[bi]![i] && f[i] !== sentinel)
          throw new Error(`gradient buffer ${bi} gap [${i}] was written`);
      }
    });
  } finally {
    for (const b of owned) b.free();
  }
}

describeNative("fused attention parity (float64 reference)", () => {
  for (const isa of isas()) {
    const cases = [
      ...attentionCases,
      ...attentionBf16Cases,
      ...attentionDropoutCases,
      ...attentionDropoutBf16Cases,
    ];
    cases.forEach((c, i) => {
      it(`${isa} ${c.op} ${c.name}`, () => withIsa(isa, () => runCase(c, 1000 + i)));
    });
  }

  it("makes no counted allocations (workspace is per-thread, like the GEMM's)", () => {
    const shape = { B: 2, Tq: 70, NH: 4, NKV: 2, HS: 32, window: 20 };
    const nq = 2 * 70 * 4 * 32;
    const nkv = 2 * 70 * 2 * 32;
    const bufs = [nq, nkv, nkv, nq, nq, nq, nkv, nkv].map((n) => toNative(new Rng(n).normalArray(n)));
    const lse = new NativeBuffer(2 * 4 * 70);
    const [q, k, v, out, dout, dq, dk, dv] = bufs.map((b) => b.address) as number[];
    try {
      const step = () => {
        attentionForward(out!, lse.address, q!, k!, v!, 0, shape);
        attentionBackward(dq!, dk!, dv!, dout!, q!, k!, v!, out!, lse.address, 0, shape);
      };
      step();
      const before = allocStats();
      step();
      const after = allocStats();
      expect(after.calls).toBe(before.calls);
      expect(after.liveBytes).toBe(before.liveBytes);
    } finally {
      for (const b of [...bufs, lse]) b.free();
    }
  });

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
