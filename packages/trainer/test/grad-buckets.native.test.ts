// Gradient buckets on a real GPT-NeoX model: each bucket is marked once per backward, at a moment
// its gradient is already final (what the all-reduce started there reads equals the gradient at
// the end of the backward), and with overlap_comm the first buckets are marked while the backward
// still has work left (other buckets' gradients are still zero then), so their collectives overlap
// it; without overlap_comm every mark comes after the backward. A plan replays the marks in the
// same order.
import { GptNeoXModel } from "@neox/models";
import { backward, Plan, scope, Tensor, withMarks } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { bucketRanges, GradBuckets } from "../src/grad-buckets";
import { configOf, SEQ, TINY_MODEL, VOCAB } from "./helpers";

function setup(bucketSize: number, overlap: boolean, extra: Record<string, unknown> = {}) {
  const model = GptNeoXModel.fromConfig(configOf({ ...TINY_MODEL, ...extra }, VOCAB));
  model.registry.initialize(7);
  model.prepare(2, SEQ);
  const ids = Int32Array.from({ length: 2 * SEQ }, (_, i) => (i * 7 + 3) % VOCAB);
  const tokens = Tensor.fromArray(ids, [2, SEQ], { dtype: "i32" });
  const labels = Tensor.fromArray(
    ids.map((x) => (x + 1) % VOCAB),
    [2, SEQ],
    { dtype: "i32" },
  );
  const flat = model.registry.flat;
  const buckets = new GradBuckets(flat, bucketSize, overlap);
  let backwardDone = false;
  const pass = () =>
    scope(() => {
      flat.zeroGrad();
      backwardDone = false;
      const loss = model.loss(tokens, labels);
      buckets.begin();
      backward(loss, undefined, undefined, buckets.backwardOptions);
      backwardDone = true;
      buckets.finish();
    });
  const dispose = () => {
    tokens.dispose();
    labels.dispose();
    model.dispose();
  };
  return { flat, buckets, pass, dispose, done: () => backwardDone };
}

describe("gradient buckets", () => {
  it("cut [0, N) into contiguous ranges", () => {
    expect(bucketRanges(10, 4)).toEqual([
      { lo: 0, hi: 4 },
      { lo: 4, hi: 8 },
      { lo: 8, hi: 10 },
    ]);
    expect(() => bucketRanges(10, 0)).toThrow(/positive integer/);
  });

  it("with overlap_comm: each bucket marked once, final when marked, the first ones mid-backward", () => {
    const { flat, buckets, pass, dispose, done } = setup(700, true);
    const n = buckets.buckets.length;
    expect(n).toBeGreaterThan(5);
    const marks: { label: number; values: Float32Array; during: boolean; zeroElsewhere: boolean }[] = [];
    withMarks((label) => {
      const { lo, hi } = buckets.buckets[label]!;
      const g = flat.grads.toFloat32Array();
      marks.push({
        label,
        values: g.slice(lo, hi),
        during: !done(),
        // some other bucket untouched yet: the backward has work left
        zeroElsewhere: buckets.buckets.some(
          (b, i) => i !== label && g.subarray(b.lo, b.hi).every((v) => v === 0),
        ),
      });
    }, pass);
    expect(marks.map((m) => m.label).sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    const final = flat.grads.toFloat32Array();
    for (const m of marks) {
      const { lo, hi } = buckets.buckets[m.label]!;
      expect(Array.from(m.values), `bucket ${m.label}`).toEqual(Array.from(final.subarray(lo, hi)));
    }
    const early = marks.filter((m) => m.during && m.zeroElsewhere);
    expect(early.length).toBeGreaterThan(n / 3);
    // the last layer's MLP output weight (the decay group's last parameter: the embeddings are
    // tied here) finishes first; the tied embedding, used first and last, finishes last
    const last = flat.ranges.get("layers.1.mlp.linear2.weight")!;
    expect(buckets.buckets[marks[0]!.label]!.hi).toBeGreaterThan(last.offset);
    const embed = flat.ranges.get("word_embeddings.weight")!;
    expect(buckets.buckets[marks.at(-1)!.label]!.lo).toBeLessThan(embed.offset + embed.numel);
    // a replayed plan calls the same marks in the same order
    const { plan } = withMarks(null, () => Plan.record(pass));
    const replayed: number[] = [];
    plan.run((l) => replayed.push(l));
    expect(replayed).toEqual(marks.map((m) => m.label));
    plan.dispose();
    dispose();
  });

  it("without overlap_comm every bucket is marked after the backward", () => {
    const { buckets, pass, dispose, done } = setup(700, false);
    const during: boolean[] = [];
    withMarks(() => during.push(!done()), pass);
    expect(during.length).toBe(buckets.buckets.length);
    expect(during.every((d) => !d)).toBe(true);
    dispose();
  });

  it("with activation checkpointing the layers' buckets wait for the end, the head's still start early", () => {
    const { buckets, pass, dispose, done } = setup(700, true, { checkpoint_activations: true });
    const during: boolean[] = [];
    withMarks(() => during.push(!done()), pass);
    expect(during.length).toBe(buckets.buckets.length);
    expect(during.some((d) => d)).toBe(true);
    dispose();
  });
});
