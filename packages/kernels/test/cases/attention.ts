// Parity cases for the attention group: fused attention, rotary embedding and ALiBi, one line per
// case. Every case runs against the float64 reference (src/reference/{attention,rotary,alibi}.ts)
// under each ISA this CPU supports (test/{attention,rotary,alibi}.native.test.ts).
//
// To add a case, append a line to the table of its op. Layouts:
//   dense      separate q, k, v buffers, (B, T, H, HS) row-major
//   fused      one QKV projection buffer as GPT-NeoX lays it out: MHA interleaved per head,
//              GQA/MQA blocked (src/ops/attention.ts qkvViews); needs Tq == Tk
//   headMajor  transposed (B, H, T, HS) buffers read through strides
//   padded     dense with gaps between heads and tokens (gaps must stay untouched)
// A case with `dropout` runs attention_dropout on the probabilities with that (p, seed, offset),
// native and reference drawing the same mask (src/reference/attention.ts).
import { type ParityCase, TOL } from "../helpers/parity";

export type AttentionLayout = "dense" | "fused" | "headMajor" | "padded";

export interface AttentionCase extends ParityCase {
  op: "attentionForward" | "attentionBackward" | "attentionForwardBf16" | "attentionBackwardBf16";
  B: number;
  Tq: number;
  Tk: number;
  NH: number;
  NKV: number;
  HS: number;
  window: number;
  alibi: boolean;
  layout: AttentionLayout;
  dropout?: { p: number; seed: number; offset: number };
}

type Shape = Omit<AttentionCase, "op" | "name" | "tol">;
const shapes: Shape[] = [
  { B: 1, Tq: 1, Tk: 1, NH: 1, NKV: 1, HS: 1, window: -1, alibi: false, layout: "dense" },
  { B: 2, Tq: 3, Tk: 3, NH: 2, NKV: 2, HS: 3, window: -1, alibi: false, layout: "fused" },
  { B: 1, Tq: 17, Tk: 17, NH: 4, NKV: 2, HS: 17, window: -1, alibi: true, layout: "fused" },
  { B: 1, Tq: 129, Tk: 129, NH: 2, NKV: 1, HS: 64, window: -1, alibi: false, layout: "fused" },
  { B: 2, Tq: 129, Tk: 129, NH: 3, NKV: 3, HS: 16, window: 5, alibi: true, layout: "headMajor" },
  { B: 1, Tq: 17, Tk: 129, NH: 4, NKV: 2, HS: 32, window: 40, alibi: true, layout: "dense" },
  { B: 1, Tq: 1, Tk: 129, NH: 4, NKV: 1, HS: 64, window: -1, alibi: false, layout: "padded" },
  // Tq = 1 (a decode step) runs attention-decode.cc: on the calling thread, and threaded when large.
  { B: 2, Tq: 1, Tk: 77, NH: 6, NKV: 2, HS: 32, window: 20, alibi: true, layout: "dense" },
  { B: 4, Tq: 1, Tk: 1030, NH: 8, NKV: 8, HS: 64, window: -1, alibi: true, layout: "dense" },
  { B: 1, Tq: 130, Tk: 130, NH: 2, NKV: 2, HS: 128, window: 64, alibi: false, layout: "padded" },
  { B: 1, Tq: 65, Tk: 65, NH: 2, NKV: 1, HS: 8, window: 0, alibi: false, layout: "dense" },
  { B: 3, Tq: 67, Tk: 67, NH: 6, NKV: 3, HS: 33, window: -1, alibi: true, layout: "fused" },
];

function label(s: Shape): string {
  const kv = s.Tq === s.Tk ? `T=${s.Tq}` : `Tq=${s.Tq} Tk=${s.Tk}`;
  const opts = [s.window >= 0 ? `window=${s.window}` : "", s.alibi ? "alibi" : ""].filter(Boolean).join(" ");
  return `B=${s.B} ${kv} NH=${s.NH} NKV=${s.NKV} HS=${s.HS} ${s.layout}${opts ? ` ${opts}` : ""}`;
}

// fp32 accumulation over up to Tk·HS terms; gradients sum over up to G·Tq rows.
export const attentionCases: AttentionCase[] = shapes.flatMap((s) => [
  { op: "attentionForward", name: label(s), tol: { atol: 1e-5, rtol: 1e-5 }, ...s },
  { op: "attentionBackward", name: label(s), tol: { atol: 5e-5, rtol: 5e-5 }, ...s },
]);

// bf16 storage, fp32 arithmetic: the reference runs on the bf16-rounded inputs and each output is
// one bf16 rounding (relative 2^-9) away from it.
const BF16 = { atol: 1e-4, rtol: 4e-3 };
export const attentionBf16Cases: AttentionCase[] = [shapes[2]!, shapes[3]!, shapes[5]!, shapes[7]!].flatMap(
  (s) => [
    { op: "attentionForwardBf16", name: label(s), tol: BF16, ...s },
    { op: "attentionBackwardBf16", name: label(s), tol: BF16, ...s },
  ],
);

// Dropout on the probabilities: odd sizes, a KV-cache step (Tq < Tk), GQA with a window and ALiBi,
// tiles past 64 keys, and seeds/offsets above 2^32 (the counter's high word changes inside a row
// when offset + counter crosses a multiple of 2^32: the last case starts 100 counters below one).
const dropoutShapes: Shape[] = [
  { ...shapes[1]!, dropout: { p: 0.5, seed: 1, offset: 0 } },
  { ...shapes[2]!, dropout: { p: 0.1, seed: 42, offset: 12345 } },
  { ...shapes[3]!, dropout: { p: 0.2, seed: 2 ** 40 + 3, offset: 7 } },
  { ...shapes[4]!, dropout: { p: 0.3, seed: 9, offset: 2 ** 33 } },
  { ...shapes[5]!, dropout: { p: 0.1, seed: 5, offset: 2 ** 34 - 100 } },
  { ...shapes[9]!, dropout: { p: 0.15, seed: 77, offset: 3 } },
];
const dropLabel = (s: Shape) => {
  const d = s.dropout!;
  return `${label(s)} dropout p=${d.p} seed=${d.seed} offset=${d.offset}`;
};
export const attentionDropoutCases: AttentionCase[] = dropoutShapes.flatMap((s) => [
  { op: "attentionForward", name: dropLabel(s), tol: { atol: 1e-5, rtol: 1e-5 }, ...s },
  { op: "attentionBackward", name: dropLabel(s), tol: { atol: 5e-5, rtol: 5e-5 }, ...s },
]);
export const attentionDropoutBf16Cases: AttentionCase[] = [dropoutShapes[1]!, dropoutShapes[4]!].flatMap(
  (s) => [
    { op: "attentionForwardBf16", name: dropLabel(s), tol: BF16, ...s },
    { op: "attentionBackwardBf16", name: dropLabel(s), tol: BF16, ...s },
  ],
);

export interface RotaryCase extends ParityCase {
  op: "rotaryForward" | "rotaryBackward";
  B: number;
  T: number;
  NH: number;
  HS: number;
  rotDim: number;
  base: number;
  posOffset: number;
  /** dense; fused: the q view of an interleaved QKV buffer; inPlace: out = inp. */
  layout: "dense" | "fused" | "inPlace";
}

type RotaryShape = Omit<RotaryCase, "op" | "name" | "tol">;
const rotaryShapes: RotaryShape[] = [
  { B: 1, T: 1, NH: 1, HS: 2, rotDim: 2, base: 10000, posOffset: 0, layout: "dense" },
  { B: 2, T: 3, NH: 3, HS: 17, rotDim: 4, base: 10000, posOffset: 0, layout: "fused" },
  { B: 1, T: 17, NH: 4, HS: 64, rotDim: 16, base: 10000, posOffset: 5, layout: "dense" },
  { B: 1, T: 129, NH: 2, HS: 128, rotDim: 128, base: 500000, posOffset: 0, layout: "inPlace" },
  { B: 3, T: 129, NH: 2, HS: 33, rotDim: 8, base: 10000, posOffset: 0, layout: "fused" },
];

export const rotaryCases: RotaryCase[] = rotaryShapes.flatMap((s) => {
  const name = `B=${s.B} T=${s.T} NH=${s.NH} HS=${s.HS} rot=${s.rotDim} base=${s.base} offset=${s.posOffset} ${s.layout}`;
  return [
    { op: "rotaryForward", name, tol: TOL.f32, ...s },
    { op: "rotaryBackward", name, tol: TOL.f32, ...s },
  ];
});

export interface RotaryTableCase extends ParityCase {
  op: "rotaryTable";
  nPos: number;
  rotDim: number;
  base: number;
}

// Angles reach nPos radians: fp32 cos/sin of the same fp32 angle, so one fp32 rounding.
export const rotaryTableCases: RotaryTableCase[] = [
  { op: "rotaryTable", name: "nPos=1 rot=2", nPos: 1, rotDim: 2, base: 10000, tol: { atol: 1e-7, rtol: 0 } },
  {
    op: "rotaryTable",
    name: "nPos=17 rot=16",
    nPos: 17,
    rotDim: 16,
    base: 10000,
    tol: { atol: 1e-7, rtol: 0 },
  },
  {
    op: "rotaryTable",
    name: "nPos=2048 rot=32",
    nPos: 2048,
    rotDim: 32,
    base: 10000,
    tol: { atol: 1e-7, rtol: 0 },
  },
  {
    op: "rotaryTable",
    name: "nPos=129 rot=128 base=1e6",
    nPos: 129,
    rotDim: 128,
    base: 1e6,
    tol: { atol: 1e-7, rtol: 0 },
  },
];

export interface AlibiCase extends ParityCase {
  op: "alibiSlopes" | "alibiBias";
  NH: number;
  Tq: number;
  Tk: number;
}

// Slopes are one fp32 rounding of the float64 value; the bias one fp32 product of them.
export const alibiCases: AlibiCase[] = [
  ...[1, 2, 3, 5, 8, 12, 17, 20, 64].map(
    (NH): AlibiCase => ({
      op: "alibiSlopes",
      name: `NH=${NH}`,
      NH,
      Tq: 1,
      Tk: 1,
      tol: { atol: 0, rtol: 6e-8 },
    }),
  ),
  { op: "alibiBias", name: "NH=3 T=17", NH: 3, Tq: 17, Tk: 17, tol: { atol: 0, rtol: 1.2e-7 } },
  { op: "alibiBias", name: "NH=12 Tq=1 Tk=129", NH: 12, Tq: 1, Tk: 129, tol: { atol: 0, rtol: 1.2e-7 } },
];

// One decode step of single-token rows (attention-decode-step.cc): each entry extends `slot` at
// position `pos` from qkv row `row`. Rows are listed out of order and leave some rows out (those
// must stay untouched); the last two cases with rows are large enough to run on the thread pool.
export interface DecodeStepCase extends ParityCase {
  op: "attentionDecodeStep";
  NH: number;
  NKV: number;
  HS: number;
  /** GPT-NeoX's fused QKV row: interleaved per head (MHA) or blocked [Q | K | V] (GQA). */
  layout: "interleaved" | "blocked";
  rotDim: number;
  window: number;
  alibi: boolean;
  /** qkv rows, cache slots and positions per slot */
  N: number;
  S: number;
  maxT: number;
  entries: { row: number; slot: number; pos: number }[];
}

type DecodeShape = Omit<DecodeStepCase, "op" | "name" | "tol">;
const decodeShapes: DecodeShape[] = [
  {
    ...{ NH: 8, NKV: 8, HS: 64, layout: "interleaved", rotDim: 16, window: -1, alibi: false },
    ...{ N: 5, S: 4, maxT: 40 },
    entries: [
      { row: 3, slot: 2, pos: 17 },
      { row: 0, slot: 0, pos: 0 },
      { row: 4, slot: 3, pos: 39 },
    ],
  },
  {
    ...{ NH: 8, NKV: 2, HS: 32, layout: "blocked", rotDim: 32, window: 5, alibi: false },
    ...{ N: 3, S: 3, maxT: 64 },
    entries: [
      { row: 1, slot: 0, pos: 50 },
      { row: 0, slot: 2, pos: 3 },
      { row: 2, slot: 1, pos: 12 },
    ],
  },
  {
    ...{ NH: 3, NKV: 3, HS: 17, layout: "interleaved", rotDim: 0, window: -1, alibi: true },
    ...{ N: 4, S: 5, maxT: 33 },
    entries: [
      { row: 2, slot: 4, pos: 32 },
      { row: 1, slot: 1, pos: 7 },
    ],
  },
  {
    ...{ NH: 4, NKV: 1, HS: 16, layout: "blocked", rotDim: 8, window: 0, alibi: true },
    ...{ N: 2, S: 2, maxT: 9 },
    entries: [
      { row: 1, slot: 0, pos: 8 },
      { row: 0, slot: 1, pos: 2 },
    ],
  },
  {
    ...{ NH: 6, NKV: 2, HS: 48, layout: "blocked", rotDim: 12, window: 100, alibi: true },
    ...{ N: 3, S: 3, maxT: 200 },
    entries: [{ row: 1, slot: 2, pos: 150 }],
  },
  {
    ...{ NH: 8, NKV: 8, HS: 64, layout: "interleaved", rotDim: 16, window: -1, alibi: false },
    ...{ N: 9, S: 8, maxT: 300 },
    entries: [7, 2, 5, 0, 6, 1, 3].map((slot, i) => ({ row: (i * 4 + 1) % 9, slot, pos: 180 + 17 * i })),
  },
  // One long row: its key positions are cut into stretches over the threads, merged exactly.
  {
    ...{ NH: 8, NKV: 4, HS: 64, layout: "blocked", rotDim: 32, window: -1, alibi: true },
    ...{ N: 2, S: 2, maxT: 700 },
    entries: [{ row: 1, slot: 1, pos: 690 }],
  },
  {
    ...{ NH: 2, NKV: 2, HS: 16, layout: "interleaved", rotDim: 16, window: -1, alibi: false },
    ...{ N: 2, S: 2, maxT: 4 },
    entries: [],
  },
];

export const attentionDecodeStepCases: DecodeStepCase[] = decodeShapes.map((s) => ({
  op: "attentionDecodeStep",
  name:
    `NH=${s.NH} NKV=${s.NKV} HS=${s.HS} ${s.layout} rot=${s.rotDim}` +
    `${s.window >= 0 ? ` window=${s.window}` : ""}${s.alibi ? " alibi" : ""} rows=${s.entries.length}`,
  tol: { atol: 1e-5, rtol: 1e-5 },
  ...s,
}));
