// The fused decode step (kernels/cpu/attention-decode-step.cc) against the float64 reference
// (src/reference/attention-decode-step.ts) for every case of test/cases/attention.ts under every
// ISA: the attention output, and the whole cache (the new k/v at each row's position, everything
// else untouched). Out and cache gaps start as random data that must survive. Every case runs with
// an fp32 cache and with a bf16 one, whose bits must equal the reference's rounding exactly (the
// new k and v rounded to nearest even, everything else untouched). Then the errors: a bad row,
// slot or position throws and writes nothing.
import { afterEach, expect, it } from "vitest";
import { nativeFunction, numThreads, setNumThreads, withIsa } from "../src/index";
import { alibiSlopes } from "../src/reference/alibi";
import * as ref from "../src/reference/attention-decode-step";
import { f64ToBf16 } from "../src/reference/convert";
import { rotaryTable } from "../src/reference/rotary";
import { attentionDecodeStepCases, type DecodeStepCase } from "./cases/attention";
import { type BufferScope, bf16, f32, read, withBuffers } from "./helpers/buffers";
import { describeNative, expectClose, isas, Rng } from "./helpers/native";

type Step = (...args: number[]) => void;
const step = (): Step => nativeFunction<Step>("attentionDecodeStep");

function dimsOf(c: DecodeStepCase, cacheBf16: boolean): ref.DecodeStepDims {
  const { NH, NKV, HS } = c;
  const inter = c.layout === "interleaved";
  return {
    W: (NH + 2 * NKV) * HS,
    NH,
    NKV,
    HS,
    qOffset: 0,
    kOffset: inter ? HS : NH * HS,
    vOffset: inter ? 2 * HS : (NH + NKV) * HS,
    qStrideH: inter ? 3 * HS : HS,
    kStrideH: inter ? 3 * HS : HS,
    vStrideH: inter ? 3 * HS : HS,
    S: c.S,
    maxT: c.maxT,
    rotDim: c.rotDim,
    window: c.window,
    scale: Math.fround(1 / Math.sqrt(HS)),
    cacheBf16,
  };
}

interface Setup {
  d: ref.DecodeStepDims;
  qkv: Float64Array;
  cache: Float64Array;
  out: Float64Array;
  cos: Float64Array | null;
  sin: Float64Array | null;
  slopes: Float64Array | null;
}

function setup(c: DecodeStepCase, seed: number, cacheBf16 = false): Setup {
  const rng = new Rng(seed);
  const d = dimsOf(c, cacheBf16);
  const half = c.rotDim / 2;
  let cos: Float64Array | null = null;
  let sin: Float64Array | null = null;
  if (half > 0) {
    cos = new Float64Array(c.maxT * half);
    sin = new Float64Array(c.maxT * half);
    rotaryTable(cos, sin, c.maxT, c.rotDim, 10000);
    cos = f32(cos);
    sin = f32(sin);
  }
  let slopes: Float64Array | null = null;
  if (c.alibi) {
    slopes = new Float64Array(c.NH);
    alibiSlopes(slopes, c.NH);
    slopes = f32(slopes);
  }
  return {
    d,
    qkv: f32(rng.normalArray(c.N * d.W)),
    cache: (cacheBf16 ? bf16 : f32)(rng.normalArray(2 * c.S * c.maxT * c.NKV * c.HS)),
    out: f32(rng.normalArray(c.N * c.NH * c.HS)),
    cos,
    sin,
    slopes,
  };
}

// Runs the native kernel on copies of the setup's buffers; returns out and both caches after it.
function runNative(
  s: BufferScope,
  c: DecodeStepCase,
  u: Setup,
  entries: DecodeStepCase["entries"],
  over: Partial<{ N: number; nPos: number }> = {},
) {
  const { d } = u;
  const half = c.S * c.maxT * c.NKV * c.HS;
  const out = s.f32(u.out);
  const cache = (x: Float64Array) => (d.cacheBf16 ? s.bf16(x) : s.f32(x));
  const k = cache(u.cache.subarray(0, half));
  const v = cache(u.cache.subarray(half));
  const idx = (f: (e: DecodeStepCase["entries"][number]) => number) =>
    s.i32(Int32Array.from(entries, f)).address;
  const call = () =>
    step()(
      out.address,
      k.address,
      v.address,
      s.f32(u.qkv).address,
      idx((e) => e.row),
      idx((e) => e.slot),
      idx((e) => e.pos),
      u.cos ? s.f32(u.cos).address : 0,
      u.sin ? s.f32(u.sin).address : 0,
      u.slopes ? s.f32(u.slopes).address : 0,
      entries.length,
      over.N ?? c.N,
      d.W,
      d.NH,
      d.NKV,
      d.HS,
      d.qOffset,
      d.kOffset,
      d.vOffset,
      d.qStrideH,
      d.kStrideH,
      d.vStrideH,
      c.S,
      c.maxT,
      over.nPos ?? (u.cos ? c.maxT : 0),
      c.rotDim,
      c.window,
      d.scale,
      d.cacheBf16 ? 1 : 0,
    );
  const bits = (b: typeof k) => () => b.u16().slice();
  return { call, out: () => read(out), k: () => read(k), v: () => read(v), kBits: bits(k), vBits: bits(v) };
}

// The float64 reference's out and caches for a case: the same for every ISA and thread count, so
// computed once per case (with its inputs) and shared by those runs.
interface Expected {
  u: Setup;
  out: Float64Array;
  k: Float64Array;
  v: Float64Array;
  kBits: Uint16Array | null;
  vBits: Uint16Array | null;
}
const expected = new Map<string, Expected>();

function expectedFor(c: DecodeStepCase, seed: number, cacheBf16: boolean): Expected {
  const key = `${c.name}|${seed}|${cacheBf16}`;
  const known = expected.get(key);
  if (known) return known;
  const u = setup(c, seed, cacheBf16);
  const half = c.S * c.maxT * c.NKV * c.HS;
  const out = Float64Array.from(u.out);
  const k = u.cache.slice(0, half);
  const v = u.cache.slice(half);
  ref.attentionDecodeStep(
    out,
    k,
    v,
    u.qkv,
    c.entries.map((e) => e.row),
    c.entries.map((e) => e.slot),
    c.entries.map((e) => e.pos),
    u.cos,
    u.sin,
    u.slopes,
    u.d,
  );
  const bits = (x: Float64Array) => (cacheBf16 ? Uint16Array.from(x, f64ToBf16) : null);
  const e = { u, out, k, v, kBits: bits(k), vBits: bits(v) };
  expected.set(key, e);
  return e;
}

// Runs case c under the current ISA and thread count and compares out and both caches with the
// float64 reference; a bf16 cache must hold exactly the reference's bits.
function checkParity(c: DecodeStepCase, seed: number, cacheBf16 = false): void {
  const want = expectedFor(c, seed, cacheBf16);
  withBuffers((s) => {
    const run = runNative(s, c, want.u, c.entries);
    run.call();
    if (want.kBits && want.vBits) {
      expectBits(run.kBits(), want.kBits, `${c.name} cache k bits`);
      expectBits(run.vBits(), want.vBits, `${c.name} cache v bits`);
    } else {
      expectClose(run.k(), want.k, c.tol!, `${c.name} cache k`);
      expectClose(run.v(), want.v, c.tol!, `${c.name} cache v`);
    }
    expectClose(run.out(), want.out, c.tol!, `${c.name} out`);
  });
}

// Every bf16 word of the cache equals the reference's value rounded (one expect, not one per
// element: the caches hold up to a million words).
function expectBits(actual: Uint16Array, want: Uint16Array, label: string): void {
  expect(actual.length, label).toBe(want.length);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < want.length; i++)
    if (actual[i] !== want[i]) {
      bad++;
      if (first < 0) first = i;
    }
  const at =
    first < 0
      ? ""
      : `, first at ${first}: 0x${actual[first]!.toString(16)} vs 0x${want[first]!.toString(16)}`;
  expect(bad, `${label}: ${bad} of ${want.length} words differ${at}`).toBe(0);
}

describeNative("attentionDecodeStep parity", () => {
  for (const isa of isas()) {
    for (const [i, c] of attentionDecodeStepCases.entries()) {
      it(`${isa}: ${c.name}`, () => withIsa(isa, () => checkParity(c, 1000 + i)));
      it(`${isa}: ${c.name}, bf16 cache`, () => withIsa(isa, () => checkParity(c, 1000 + i, true)));
    }
  }
});

// Calls large enough to be split: each row's keys are cut into stretches of positions, one per
// work item, and merged afterwards (flash-decoding). The stretch count follows the thread count,
// so each case runs on 1 thread (one stretch a row), 2 and 5 (a row in up to ~15 stretches, of
// lengths that are not multiples of the AVX-512 path's four runs or of the generic 32-key block).
type Shape = Omit<DecodeStepCase, "op" | "name" | "tol">;
const stretchShapes: [string, Shape][] = [
  [
    "MHA batch 1, alibi",
    {
      ...{ NH: 8, NKV: 8, HS: 64, layout: "interleaved", rotDim: 16, window: -1, alibi: true },
      ...{ N: 1, S: 1, maxT: 1001, entries: [{ row: 0, slot: 0, pos: 1000 }] },
    },
  ],
  [
    "GQA G=4 HS=128 window, rows of unequal length",
    {
      ...{ NH: 8, NKV: 2, HS: 128, layout: "blocked", rotDim: 32, window: 700, alibi: true },
      ...{ N: 3, S: 3, maxT: 950 },
      entries: [
        { row: 2, slot: 1, pos: 940 },
        { row: 0, slot: 0, pos: 333 },
        { row: 1, slot: 2, pos: 3 },
      ],
    },
  ],
  [
    "GQA G=2 HS=40 (generic path on every ISA)",
    {
      ...{ NH: 6, NKV: 3, HS: 40, layout: "blocked", rotDim: 20, window: -1, alibi: true },
      ...{ N: 2, S: 2, maxT: 1200, entries: [{ row: 1, slot: 0, pos: 1150 }] },
    },
  ],
  [
    "MHA short and long rows",
    {
      ...{ NH: 8, NKV: 8, HS: 64, layout: "interleaved", rotDim: 16, window: -1, alibi: false },
      ...{ N: 3, S: 4, maxT: 700 },
      entries: [
        { row: 0, slot: 3, pos: 5 },
        { row: 2, slot: 0, pos: 40 },
        { row: 1, slot: 1, pos: 630 },
      ],
    },
  ],
];

describeNative("attentionDecodeStep stretches", () => {
  const before = numThreads();
  afterEach(() => setNumThreads(before));
  for (const isa of isas()) {
    for (const threads of [1, 2, 5]) {
      for (const [i, [name, shape]] of stretchShapes.entries()) {
        const c: DecodeStepCase = {
          op: "attentionDecodeStep",
          name,
          tol: { atol: 1e-5, rtol: 1e-5 },
          ...shape,
        };
        it(`${isa}, ${threads} threads: ${name}`, () => {
          setNumThreads(threads);
          withIsa(isa, () => checkParity(c, 2000 + i));
        });
        it(`${isa}, ${threads} threads: ${name}, bf16 cache`, () => {
          setNumThreads(threads);
          withIsa(isa, () => checkParity(c, 2000 + i, true));
        });
      }
    }
  }
});

describeNative("attentionDecodeStep errors", () => {
  const c = attentionDecodeStepCases[0]!;
  const bad: [string, DecodeStepCase["entries"], RegExp, Partial<{ N: number; nPos: number }>?][] = [
    ["a row past N", [{ row: c.N, slot: 0, pos: 1 }], /row 5 is not in \[0, 5\)/],
    ["a slot past S", [{ row: 0, slot: c.S, pos: 1 }], /slot 4 is not in \[0, 4\)/],
    ["a position past maxT", [{ row: 0, slot: 1, pos: c.maxT }], /position 40 is not in \[0, maxT = 40\)/],
    ["a negative position", [{ row: 0, slot: 1, pos: -1 }], /position -1/],
    [
      "a slot listed twice",
      [
        { row: 0, slot: 1, pos: 2 },
        { row: 1, slot: 1, pos: 3 },
      ],
      /slot 1 is listed twice \(entry 2\)/,
    ],
    [
      "a row listed twice",
      [
        { row: 2, slot: 0, pos: 2 },
        { row: 2, slot: 1, pos: 3 },
      ],
      /row 2 is listed twice/,
    ],
    [
      "a position past the rotary tables",
      [{ row: 0, slot: 1, pos: 30 }],
      /past the rotary tables' 20 rows/,
      {
        nPos: 20,
      },
    ],
  ];
  for (const [what, entries, message, over] of bad) {
    it(`${what} throws and writes nothing`, () => {
      const u = setup(c, 7);
      withBuffers((s) => {
        // A valid entry first: the bad one must stop the call before that one is written too.
        const run = runNative(s, c, u, [{ row: 4, slot: 3, pos: 5 }, ...entries], over);
        expect(run.call).toThrow(message);
        const half = c.S * c.maxT * c.NKV * c.HS;
        expect(run.out()).toEqual(u.out);
        expect(run.k()).toEqual(u.cache.subarray(0, half));
        expect(run.v()).toEqual(u.cache.subarray(half));
      });
    });
  }
});
