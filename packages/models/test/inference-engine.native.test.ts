// The inference engine: sequences of different lengths advanced together in one pass (prefills of
// different prompts beside decode steps of others) give every position the logits the full causal
// forward gives that sequence alone (fp32, 1e-5), for each way positions enter the model; scoring
// equals log-softmax of those logits; decode steps replayed from recorded plans equal eager passes;
// a bad pass caches nothing.
import { noGrad, scope, Tensor } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { EngineInputError, GptNeoXModel, InferenceEngine, MAX_DECODE_PLANS } from "../src/index";
import { TINY_GPT3, TINY_LLAMA, TINY_NEOX, tinyConfig } from "./helpers";

const CASES = [
  ["rotary, parallel residual", TINY_NEOX],
  ["learned positions, sequential, tied", TINY_GPT3],
  ["GQA with a 3-token sliding window", `${TINY_LLAMA}sliding_window_width: 3\n`],
  ["ALiBi, one shared norm", `${TINY_NEOX}pos_emb: alibi\ngpt_j_tied: true\n`],
  ["sinusoidal positions, sequential", `${TINY_GPT3}pos_emb: sinusoidal\n`],
] as const;

function seqs(V: number): number[][] {
  // Three sequences of different lengths, deterministic ids.
  return [9, 5, 7].map((n, s) => Array.from({ length: n }, (_, i) => (i * 7 + s * 13 + 3) % V));
}

// Logits (T, V) of one sequence alone through the training forward.
function fullLogits(model: GptNeoXModel, ids: number[]): Float32Array {
  return noGrad(() =>
    scope(() =>
      model
        .forward(Tensor.fromArray(Int32Array.from(ids), [1, ids.length], { dtype: "i32" }))
        .toFloat32Array(),
    ),
  );
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe("InferenceEngine: mixed segments equal the full forward", () => {
  for (const [name, yaml] of CASES) {
    it(name, () => {
      const model = GptNeoXModel.fromConfig(tinyConfig(yaml));
      const V = model.spec.V;
      const engine = new InferenceEngine(model, { slots: 4, maxT: 16 });
      try {
        const all = seqs(V);
        const want = all.map((s) => fullLogits(model, s));
        const got = all.map((s) => new Float32Array(s.length * V));
        // Pass 1: slot 0 prefills 4 tokens, slot 2 prefills 1; slot 1 waits. All rows asked for.
        // Then every pass feeds whatever each slot has next: 1 token, or 2 for slot 1's prefill.
        const plan: [number, number][][] = [
          [
            [0, 4],
            [2, 1],
          ],
          [
            [0, 1],
            [1, 2],
            [2, 3],
          ],
          [
            [2, 1],
            [0, 1],
            [1, 1],
          ],
          [
            [1, 2],
            [0, 3],
            [2, 2],
          ],
        ];
        const done = [0, 0, 0];
        for (const pass of plan) {
          const segments = pass.map(([slot, n]) => ({
            slot,
            tokens: all[slot]!.slice(done[slot]!, done[slot]! + n),
            logitsFrom: 0,
          }));
          const out = engine.forward(segments);
          // every row's argmax (computed natively) is the first maximum of its host row
          expect(out.argmax.length).toBe(out.rows);
          for (let r = 0; r < out.rows; r++) {
            const row = out.logits.subarray(r * V, (r + 1) * V);
            expect(out.argmax[r], `row ${r}`).toBe(row.indexOf(Math.max(...row)));
          }
          pass.forEach(([slot, n], i) => {
            got[slot]!.set(
              out.logits.subarray(out.offsets[i]! * V, (out.offsets[i]! + n) * V),
              done[slot]! * V,
            );
            done[slot]! += n;
            expect(engine.length(slot)).toBe(done[slot]);
          });
        }
        // Finish each sequence one token at a time, last-row logits only (the default).
        for (let slot = 0; slot < 3; slot++) {
          while (done[slot]! < all[slot]!.length) {
            const out = engine.forward([{ slot, tokens: [all[slot]![done[slot]!]!] }]);
            expect(out.rows).toBe(1);
            got[slot]!.set(out.logits, done[slot]! * V);
            // a pass that skips the host copy gives the same greedy token (and caches nothing twice)
            engine.truncate(slot, done[slot]!);
            const bare = engine.forward([{ slot, tokens: [all[slot]![done[slot]!]!] }], { logits: false });
            expect(bare.logits.length).toBe(0);
            expect(bare.argmax[0]).toBe(out.argmax[0]);
            done[slot]! += 1;
          }
          expect(maxDiff(got[slot]!, want[slot]!)).toBeLessThan(1e-5);
        }
      } finally {
        engine.dispose();
        model.dispose();
      }
    });
  }
});

describe("InferenceEngine: replayed decode steps", () => {
  for (const [name, yaml] of CASES) {
    it(`equal eager passes bit for bit, whichever slots a step holds (${name})`, () => {
      const model = GptNeoXModel.fromConfig(tinyConfig(yaml));
      const V = model.spec.V;
      const planned = new InferenceEngine(model, { slots: 3, maxT: 16 });
      const eager = new InferenceEngine(model, { slots: 3, maxT: 16, planned: false });
      try {
        const all = seqs(V);
        // Steps of 1..3 rows in changing slot sets and orders: a step of R rows records once and
        // replays with other slots, other positions and another order.
        const steps = [[0], [0, 1, 2], [2, 0], [1, 2], [0, 2], [2, 1, 0], [1], [2], [0, 1]];
        for (const e of [planned, eager])
          for (const [slot, ids] of all.entries()) e.forward([{ slot, tokens: ids.slice(0, 1 + slot) }]);
        steps.forEach((slots, n) => {
          const segs = slots.map((slot) => ({ slot, tokens: [(n * 5 + slot * 11 + 1) % V] }));
          const a = planned.forward(segs);
          const b = eager.forward(segs);
          expect(a.rows).toBe(slots.length);
          expect(maxDiff(a.logits, b.logits), `step ${n}`).toBe(0);
          expect(Array.from(a.argmax)).toEqual(Array.from(b.argmax));
          for (let s = 0; s < 3; s++) expect(planned.length(s)).toBe(eager.length(s));
          const bare = planned.forward(
            slots.map((slot) => ({ slot, tokens: [3] })),
            { logits: false },
          );
          const ref = eager.forward(slots.map((slot) => ({ slot, tokens: [3] })));
          expect(bare.logits.length).toBe(0);
          expect(Array.from(bare.argmax)).toEqual(Array.from(ref.argmax));
        });
        // A prefill between replays is an eager pass; the replays after it still agree.
        const segs = [{ slot: 1, tokens: [4, 5] }];
        expect(maxDiff(planned.forward(segs).logits, eager.forward(segs).logits)).toBe(0);
        const last = [0, 1, 2].map((slot) => ({ slot, tokens: [7] }));
        expect(maxDiff(planned.forward(last).logits, eager.forward(last).logits)).toBe(0);
      } finally {
        planned.dispose();
        eager.dispose();
        model.dispose();
      }
    });
  }
});

describe("InferenceEngine: replayed decode steps, more row counts than plans kept", () => {
  it(`re-records a dropped row count and still equals eager passes (MAX_DECODE_PLANS ${MAX_DECODE_PLANS})`, () => {
    const model = GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX));
    const V = model.spec.V;
    const slots = MAX_DECODE_PLANS + 2;
    const planned = new InferenceEngine(model, { slots, maxT: 16 });
    const eager = new InferenceEngine(model, { slots, maxT: 16, planned: false });
    try {
      // row counts 1 .. slots, then 1 and 2 again (their plans were the oldest, so dropped)
      const counts = [...Array.from({ length: slots }, (_, i) => i + 1), 1, 2];
      counts.forEach((R, n) => {
        const segs = Array.from({ length: R }, (_, slot) => ({ slot, tokens: [(n * 3 + slot) % V] }));
        const a = planned.forward(segs);
        const b = eager.forward(segs);
        expect(maxDiff(a.logits, b.logits), `step ${n} (R ${R})`).toBe(0);
      });
    } finally {
      planned.dispose();
      eager.dispose();
      model.dispose();
    }
  });
});

describe("InferenceEngine.score", () => {
  it("is log-softmax of the forward's logits at the targets, with the argmax flag", () => {
    const model = GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX));
    const V = model.spec.V;
    const engine = new InferenceEngine(model, { slots: 2, maxT: 16 });
    try {
      const ids = seqs(V)[0]!;
      const logits = fullLogits(model, ids);
      // Targets: the next token for rows 3..7, except row 5 whose target is its argmax.
      const targets = ids.slice(4, 9);
      const argmax5 = logits.subarray(5 * V, 6 * V).reduce((b, x, i, a) => (x > a[b]! ? i : b), 0);
      targets[2] = argmax5;
      const out = engine.score([{ slot: 1, tokens: ids.slice(0, 8), logitsFrom: 3, targets }], {
        greedy: true,
      });
      for (let r = 0; r < 5; r++) {
        const row = logits.subarray((3 + r) * V, (4 + r) * V);
        const max = Math.max(...row);
        let sum = 0;
        for (const x of row) sum += Math.exp(x - max);
        const want = row[targets[r]!]! - max - Math.log(sum);
        expect(Math.abs(out.logprobs[r]! - want)).toBeLessThan(2e-5);
        expect(out.greedy[r]).toBe(row[targets[r]!]! >= max ? 1 : 0);
      }
      expect(out.greedy[2]).toBe(1);
    } finally {
      engine.dispose();
      model.dispose();
    }
  });
});

describe("InferenceEngine input errors", () => {
  it("names the slot, token or length, and a failed pass leaves the caches as they were", () => {
    const model = GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX));
    const V = model.spec.V;
    const engine = new InferenceEngine(model, { slots: 2, maxT: 6 });
    try {
      engine.forward([{ slot: 0, tokens: [1, 2, 3] }]);
      expect(() => engine.forward([{ slot: 2, tokens: [1] }])).toThrow(/slot 2 is not in \[0, 2\)/);
      expect(() => engine.forward([{ slot: 1, tokens: [1, V] }])).toThrow(
        new RegExp(`segment 0 token 1 is ${V}, outside the vocabulary`),
      );
      expect(() => engine.forward([{ slot: 0, tokens: [1, 2, 3, 4] }])).toThrow(
        /holds 3 tokens; 4 more exceed the 6-token/,
      );
      expect(() =>
        engine.forward([
          { slot: 1, tokens: [1] },
          { slot: 1, tokens: [2] },
        ]),
      ).toThrow(EngineInputError);
      expect(engine.length(0)).toBe(3);
      expect(engine.length(1)).toBe(0);
      engine.truncate(0, 1);
      expect(engine.length(0)).toBe(1);
      engine.reset(0);
      expect(engine.length(0)).toBe(0);
    } finally {
      engine.dispose();
      model.dispose();
    }
  });
});
