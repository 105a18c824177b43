// Dropout on the attention probabilities (kernels/cpu/attention.h), beyond the parity cases of
// test/cases/attention.ts: the mask itself, its statistics, its dependence on seed and offset,
// p = 0 being the kernel without dropout, and thread-count independence.
//
// The mask is read straight off the forward output: with q = 0 every visible key of query i gets
// probability 1/(pos + 1), and with v[j] the one-hot vector e_j (HS = Tk) output channel j of row
// i is that probability times M_ij/(1-p). So out != 0 exactly where the kernel kept (i, j).
import { afterEach, expect, it } from "vitest";
import {
  type AttentionDropout,
  type AttentionShape,
  attentionBackward,
  attentionBackwardBf16,
  attentionForward,
  attentionForwardBf16,
  dropoutForward,
  NativeBuffer,
  numThreads,
  setNumThreads,
  withIsa,
} from "../src/index";
import { describeNative, fromNative, isas, Rng, roundTo, toNative } from "./helpers/native";

interface Probe {
  B: number;
  Tq: number;
  Tk: number;
  NH: number;
  NKV: number;
}

/** Output (B, Tq, NH, Tk) of the one-hot probe: M_ij·P_ij/(1-p) in channel j of row i. */
function probe(s: Probe, drop: AttentionDropout | undefined, dtype: "f32" | "bf16" = "f32"): Float64Array {
  const HS = s.Tk;
  const v = new Float64Array(s.B * s.Tk * s.NKV * HS);
  for (let b = 0; b < s.B; b++)
    for (let j = 0; j < s.Tk; j++)
      for (let g = 0; g < s.NKV; g++) v[((b * s.Tk + j) * s.NKV + g) * HS + j] = 1;
  const bufs = [
    toNative(new Float64Array(s.B * s.Tq * s.NH * HS), dtype), // q = 0
    toNative(new Float64Array(v.length), dtype), // k (any: q = 0)
    toNative(v, dtype),
    toNative(new Float64Array(s.B * s.Tq * s.NH * HS), dtype), // out
    new NativeBuffer(s.B * s.NH * s.Tq),
  ];
  try {
    const [q, k, vb, out, lse] = bufs.map((b) => b.address) as number[];
    const shape: AttentionShape = { B: s.B, Tq: s.Tq, Tk: s.Tk, NH: s.NH, NKV: s.NKV, HS };
    (dtype === "bf16" ? attentionForwardBf16 : attentionForward)(out!, lse!, q!, k!, vb!, 0, shape, drop);
    return fromNative(bufs[3]!);
  } finally {
    for (const b of bufs) b.free();
  }
}

/** Where the probe's visible (i, j) were kept: 1/0, and -1 for keys query i does not see. */
function keptOf(s: Probe, out: Float64Array): Int8Array {
  const m = new Int8Array(s.B * s.NH * s.Tq * s.Tk);
  for (let b = 0; b < s.B; b++)
    for (let h = 0; h < s.NH; h++)
      for (let i = 0; i < s.Tq; i++)
        for (let j = 0; j < s.Tk; j++) {
          const at = ((b * s.NH + h) * s.Tq + i) * s.Tk + j;
          m[at] = j > i + s.Tk - s.Tq ? -1 : out[((b * s.Tq + i) * s.NH + h) * s.Tk + j] !== 0 ? 1 : 0;
        }
  return m;
}

/** The dropout kernel's mask over a dense (B, NH, Tq, Tk) tensor of ones: 1 kept, 0 dropped. */
function denseDropoutMask(n: number, drop: AttentionDropout): Int8Array {
  const ones = toNative(new Float64Array(n).fill(1));
  try {
    dropoutForward(ones.address, ones.address, n, drop.p, drop.seed, drop.offset);
    return Int8Array.from(ones.f32(), (x) => (x !== 0 ? 1 : 0));
  } finally {
    ones.free();
  }
}

function stats(kept: Int8Array): { n: number; kept: number } {
  let n = 0;
  let k = 0;
  for (const x of kept) {
    if (x < 0) continue;
    n++;
    k += x;
  }
  return { n, kept: k };
}

const SHAPES: Probe[] = [
  { B: 2, Tq: 70, Tk: 70, NH: 3, NKV: 3 },
  { B: 1, Tq: 5, Tk: 131, NH: 4, NKV: 2 }, // a KV-cache step: rows are the last Tq positions
];

describeNative("attention dropout", () => {
  const threads = numThreads();
  afterEach(() => setNumThreads(threads));

  for (const isa of isas()) {
    for (const s of SHAPES) {
      it(`${isa} B=${s.B} Tq=${s.Tq} Tk=${s.Tk}: the mask is dropoutForward's on the dense probabilities`, () => {
        // offset 2^32 - 500: the counter's high word changes inside the tensor
        const drop = { p: 0.3, seed: 2 ** 35 + 11, offset: 2 ** 32 - 500 };
        const expected = denseDropoutMask(s.B * s.NH * s.Tq * s.Tk, drop);
        for (const dtype of ["f32", "bf16"] as const) {
          const out = withIsa(isa, () => probe(s, drop, dtype));
          const kept = keptOf(s, out);
          for (let at = 0; at < kept.length; at++) {
            if (kept[at]! >= 0 && kept[at] !== expected[at])
              throw new Error(
                `${dtype} element ${at}: kernel kept=${kept[at]}, dropout mask ${expected[at]}`,
              );
          }
          // kept values are P/(1-p): 1/((pos + 1)(1 - p))
          for (let i = 0; i < s.Tq; i++) {
            const want = roundTo([1 / ((i + s.Tk - s.Tq + 1) * (1 - drop.p))], dtype)[0]!;
            const at = i * s.NH * s.Tk; // b = 0, h = 0, channel j = 0 is visible to every row
            if (kept[i * s.Tk] === 1)
              expect(Math.abs(out[at]! - want)).toBeLessThanOrEqual(Math.abs(want) * 8e-3);
          }
        }
      });
    }
  }

  it("keeps a fraction 1 - p of the probabilities over many draws", () => {
    const s = { B: 2, Tq: 96, Tk: 96, NH: 4, NKV: 4 };
    for (const p of [0.1, 0.5, 0.9]) {
      let n = 0;
      let kept = 0;
      for (let seed = 1; seed <= 4; seed++) {
        const st = stats(keptOf(s, probe(s, { p, seed, offset: 1000 * seed })));
        n += st.n;
        kept += st.kept;
      }
      // binomial: 6 standard deviations of the kept fraction
      const sigma = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(kept / n - (1 - p)), `p=${p}: kept ${kept} of ${n}`).toBeLessThan(6 * sigma);
    }
  });

  it("draws different masks for different seeds or offsets, the same for the same pair", () => {
    const s = { B: 1, Tq: 64, Tk: 64, NH: 2, NKV: 1 };
    const p = 0.5;
    const base = keptOf(s, probe(s, { p, seed: 7, offset: 0 }));
    const again = keptOf(s, probe(s, { p, seed: 7, offset: 0 }));
    expect(again).toEqual(base);
    for (const other of [
      { p, seed: 8, offset: 0 },
      { p, seed: 7 + 2 ** 32, offset: 0 }, // the seed's high word counts
      { p, seed: 7, offset: 1 },
      { p, seed: 7, offset: s.B * s.NH * s.Tq * s.Tk }, // the next call's range
    ]) {
      const m = keptOf(s, probe(s, other));
      let visible = 0;
      let differ = 0;
      for (let i = 0; i < m.length; i++) {
        if (m[i]! < 0) continue;
        visible++;
        if (m[i] !== base[i]) differ++;
      }
      // independent masks disagree on a fraction 2p(1-p) = 1/2 of the elements
      expect(differ / visible, JSON.stringify(other)).toBeGreaterThan(0.4);
      expect(differ / visible, JSON.stringify(other)).toBeLessThan(0.6);
    }
  });

  for (const dtype of ["f32", "bf16"] as const) {
    it(`${dtype}: p = 0 is bitwise the kernel without dropout; a seed gives the same bits at 1 and 2 threads`, () => {
      const shape: AttentionShape = { B: 2, Tq: 67, NH: 4, NKV: 2, HS: 24, window: 40 };
      const nq = 2 * 67 * 4 * 24;
      const nkv = 2 * 67 * 2 * 24;
      const rng = new Rng(31);
      const inputs = [nq, nkv, nkv, nq].map((n) => toNative(rng.normalArray(n), dtype)); // q, k, v, dout
      const outs = [nq, nq, nkv, nkv].map((n) => new NativeBuffer(n, dtype)); // out, dq, dk, dv
      const lse = new NativeBuffer(2 * 4 * 67);
      const [q, k, v, dout] = inputs.map((b) => b.address) as number[];
      const [out, dq, dk, dv] = outs.map((b) => b.address) as number[];
      const fwd = dtype === "bf16" ? attentionForwardBf16 : attentionForward;
      const bwd = dtype === "bf16" ? attentionBackwardBf16 : attentionBackward;
      const run = (drop?: AttentionDropout): Float64Array[] => {
        fwd(out!, lse.address, q!, k!, v!, 0, shape, drop);
        bwd(dq!, dk!, dv!, dout!, q!, k!, v!, out!, lse.address, 0, shape, drop);
        return [...outs.map((b) => fromNative(b)), fromNative(lse)];
      };
      try {
        const plain = run();
        expect(run({ p: 0, seed: 99, offset: 12345 })).toEqual(plain);
        const drop = { p: 0.2, seed: 3, offset: 2 ** 40 };
        setNumThreads(1);
        const one = run(drop);
        setNumThreads(2);
        const two = run(drop);
        expect(two).toEqual(one);
        // and dropout did change the output and every gradient (lse is the undropped softmax's)
        for (let t = 0; t < 4; t++) expect(one[t]).not.toEqual(plain[t]);
        expect(one[4]).toEqual(plain[4]);
      } finally {
        for (const b of [...inputs, ...outs, lse]) b.free();
      }
    });
  }

  it("rejects p outside [0, 1) with a message naming it", () => {
    const b = new NativeBuffer(64);
    try {
      const a = b.address;
      const shape = { B: 1, Tq: 2, NH: 1, HS: 4 };
      for (const p of [1, -0.1, Number.NaN]) {
        expect(() => attentionForward(a, a, a, a, a, 0, shape, { p, seed: 0, offset: 0 })).toThrow(
          /attentionForward: argument 23 \(dropout p\) must be in \[0, 1\)/,
        );
      }
    } finally {
      b.free();
    }
  });
});
