// Gradient buckets on a real GPT-NeoX model. Once a backward has mapped where each bucket becomes
// final, every later pass (eager, or a replayed plan) starts each bucket exactly once, at a
// moment its gradient is already final (what a collective started there reads equals the gradient
// at the end of the backward), and with overlap_comm most of them while the backward still has
// work left (other buckets' gradients are still zero then); on one tape the first pass, which
// builds that map, too. Without overlap_comm every bucket starts at the end. With activation
// checkpointing the layers' parameters are reported from the checkpointed bodies' own tapes, so
// their buckets start early too, from the second pass on.
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
  const buckets = new GradBuckets(flat, bucketSize, overlap, extra.checkpoint_activations !== true);
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
  /** One pass; per started bucket: its gradient then, whether the backward was still running, and
   * whether some other bucket was still all zeros. */
  const observe = (run: (onMark: (label: number) => void) => void) => {
    const starts: { bucket: number; values: Float32Array; during: boolean; zeroElsewhere: boolean }[] = [];
    run((label) =>
      buckets.dispatch(label, (bucket) => {
        const { lo, hi } = buckets.buckets[bucket]!;
        const g = flat.grads.toFloat32Array();
        starts.push({
          bucket,
          values: g.slice(lo, hi),
          during: !backwardDone,
          zeroElsewhere: buckets.buckets.some(
            (b, i) => i !== bucket && g.subarray(b.lo, b.hi).every((v) => v === 0),
          ),
        });
      }),
    );
    return starts;
  };
  const eager = () => observe((onMark) => withMarks(onMark, pass));
  const dispose = () => {
    tokens.dispose();
    labels.dispose();
    model.dispose();
  };
  return { flat, buckets, pass, eager, observe, dispose };
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

  it("with overlap_comm: each bucket started once, final when started, most of them mid-backward", () => {
    const { flat, buckets, eager, observe, pass, dispose } = setup(700, true);
    const n = buckets.buckets.length;
    expect(n).toBeGreaterThan(5);
    // one tape (no checkpointing): the first pass starts buckets early too, as it maps them
    for (const [name, starts] of [
      ["first", eager()],
      ["eager", eager()],
      [
        "replayed",
        (() => {
          const { plan } = withMarks(null, () => Plan.record(pass));
          try {
            return observe((onMark) => plan.run(onMark));
          } finally {
            plan.dispose();
          }
        })(),
      ],
    ] as const) {
      expect(
        starts.map((s) => s.bucket).sort((a, b) => a - b),
        name,
      ).toEqual([...Array(n).keys()]);
      const final = flat.grads.toFloat32Array();
      for (const s of starts) {
        const { lo, hi } = buckets.buckets[s.bucket]!;
        expect(Array.from(s.values), `${name} bucket ${s.bucket}`).toEqual(
          Array.from(final.subarray(lo, hi)),
        );
      }
      // a replayed plan runs no JS of the pass (`during` keeps the recording's last value): other
      // buckets still all zeros show the backward had work left
      const early = starts.filter((s) => (name === "replayed" || s.during) && s.zeroElsewhere);
      expect(early.length, name).toBeGreaterThan(n / 3);
      // the last layer's MLP output weight (the decay group's last parameter: the embeddings are
      // tied here) finishes first; the tied embedding, used first and last, among the last
      const last = flat.ranges.get("layers.1.mlp.linear2.weight")!;
      expect(buckets.buckets[starts[0]!.bucket]!.hi, name).toBeGreaterThan(last.offset);
    }
    dispose();
  });

  it("without overlap_comm every bucket starts after the backward", () => {
    const { buckets, eager, dispose } = setup(700, false);
    eager();
    const starts = eager();
    expect(starts.length).toBe(buckets.buckets.length);
    expect(starts.every((s) => !s.during)).toBe(true);
    dispose();
  });

  it("with activation checkpointing the layers' buckets start early too, final when started", () => {
    const { flat, buckets, eager, dispose } = setup(700, true, { checkpoint_activations: true });
    // the first pass cannot know a leaf's report is its last (another tape may report it again)
    expect(eager().every((s) => !s.during)).toBe(true);
    const starts = eager();
    expect(starts.length).toBe(buckets.buckets.length);
    const final = flat.grads.toFloat32Array();
    for (const s of starts) {
      const { lo, hi } = buckets.buckets[s.bucket]!;
      expect(Array.from(s.values), `bucket ${s.bucket}`).toEqual(Array.from(final.subarray(lo, hi)));
    }
    // the buckets wholly inside layer 1 (the layers' weights are only on the bodies' tapes)
    const l1 = flat.ranges.get("layers.1.attention.query_key_value.weight")!;
    const l1end = flat.ranges.get("layers.1.mlp.linear2.weight")!;
    const inLayer1 = starts.filter((s) => {
      const b = buckets.buckets[s.bucket]!;
      return b.lo >= l1.offset && b.hi <= l1end.offset + l1end.numel;
    });
    expect(inLayer1.length).toBeGreaterThan(0);
    expect(inLayer1.every((s) => s.during && s.zeroElsewhere)).toBe(true);
    dispose();
  });
});
