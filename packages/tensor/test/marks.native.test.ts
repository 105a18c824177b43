// Host marks and leaf readiness, what data parallelism builds its overlapped gradient all-reduce
// on: a leaf is reported exactly when its gradient is final (its value then equals the value at the
// end of backward), in reverse order of use, once; marks keep their place among the launches when a
// plan replays them, and the host sees the same partial gradients at a replayed mark as at the
// recorded one.
import { describe, expect, it } from "vitest";
import {
  backward,
  checkpoint,
  crossEntropy,
  FlatParams,
  gelu,
  hostMark,
  linear,
  Plan,
  scope,
  Tensor,
  withMarks,
} from "../src/index";
import { randn, rng } from "./helpers/gradcheck";

/** Three linear layers (w1 used twice), a loss; params in one flat buffer. */
function net() {
  const params = new FlatParams([
    { name: "w1", shape: [16, 16], decay: true },
    { name: "b1", shape: [16], decay: false },
    { name: "w2", shape: [16, 16], decay: true },
    { name: "w3", shape: [5, 16], decay: true },
    { name: "unused", shape: [3], decay: false },
  ]);
  const rand = rng(5);
  params.data.write(randn(params.numel, rand, 0.3));
  const x = Tensor.fromArray(randn(4 * 16, rand), [4, 16]);
  const y = Tensor.fromArray([0, 1, 2, 3], [4], { dtype: "i32" });
  const names = new Map([...params.params].map(([name, t]) => [t, name]));
  /** One forward and backward; `onLeaf` gets each reported leaf's name. */
  const pass = (onLeaf?: (name: string) => void) =>
    scope(() => {
      params.zeroGrad();
      const h = gelu(linear(x, params.get("w1"), params.get("b1")));
      const h2 = gelu(linear(linear(h, params.get("w2")), params.get("w1")));
      const loss = crossEntropy(linear(h2, params.get("w3")), y);
      backward(loss, undefined, undefined, onLeaf ? { onLeafReady: (t) => onLeaf(names.get(t)!) } : {});
    });
  const dispose = () => {
    params.dispose();
    x.dispose();
    y.dispose();
  };
  return { params, pass, dispose };
}

describe("backward's leaf readiness", () => {
  it("reports each used leaf once, in reverse order of last use, when its gradient is final", () => {
    const { params, pass, dispose } = net();
    const seen: string[] = [];
    const atReport = new Map<string, Float32Array>();
    pass((name) => {
      seen.push(name);
      atReport.set(name, params.grads.toFloat32Array().slice());
    });
    // w3 is used last (first to finish); w1 is used in the first and the second layer: final only
    // after the first layer's rule, together with b1; `unused` is never on the tape
    expect(seen.slice(0, 2)).toEqual(["w3", "w2"]);
    expect(new Set(seen.slice(2))).toEqual(new Set(["w1", "b1"]));
    expect(seen.length).toBe(4);
    const final = params.grads.toFloat32Array();
    for (const [name, snapshot] of atReport) {
      const r = params.ranges.get(name)!;
      const a = snapshot.subarray(r.offset, r.offset + r.numel);
      const b = final.subarray(r.offset, r.offset + r.numel);
      expect(Array.from(a), name).toEqual(Array.from(b));
      expect(
        b.some((v) => v !== 0),
        name,
      ).toBe(true);
    }
    // w1 reported before its first layer ran would have missed that layer's contribution: the
    // snapshot of w1 taken at w2's report differs from its final value
    const w1 = params.ranges.get("w1")!;
    const early = atReport.get("w2")!.subarray(w1.offset, w1.offset + w1.numel);
    expect(Array.from(early)).not.toEqual(Array.from(final.subarray(w1.offset, w1.offset + w1.numel)));
    dispose();
  });
});

describe("backward's leaf readiness through activation checkpointing", () => {
  it("leaves used inside a checkpointed body are reported from its tape, w1 (also used outside) after its last use", () => {
    const params = new FlatParams([
      { name: "w1", shape: [8, 8], decay: true },
      { name: "w2", shape: [8, 8], decay: true },
      { name: "w3", shape: [3, 8], decay: true },
    ]);
    const rand = rng(9);
    params.data.write(randn(params.numel, rand, 0.3));
    const x = Tensor.fromArray(randn(4 * 8, rand), [4, 8]);
    const y = Tensor.fromArray([0, 1, 2, 0], [4], { dtype: "i32" });
    const names = new Map([...params.params].map(([name, t]) => [t, name]));
    const seen: string[] = [];
    const final = new Map<string, Float32Array>();
    scope(() => {
      const h = gelu(linear(x, params.get("w1")));
      // the body uses w2 and w1 again: w1's outside use is earlier on the outer tape
      const body = checkpoint((a) => gelu(linear(gelu(linear(a, params.get("w2"))), params.get("w1"))), [h]);
      const loss = crossEntropy(linear(body, params.get("w3")), y);
      backward(loss, undefined, undefined, {
        onLeafReady: (t) => {
          const name = names.get(t);
          if (!name) return; // the body's own input, a leaf of its private tape
          seen.push(name);
          const r = params.ranges.get(name)!;
          final.set(name, params.grads.toFloat32Array().slice(r.offset, r.offset + r.numel));
        },
      });
    });
    // w3 (outer tape), then w1 and w2 from the body's tape, then w1 again from the outer tape
    expect(seen[0]).toBe("w3");
    expect(new Set(seen.slice(1, 3))).toEqual(new Set(["w1", "w2"]));
    expect(seen.slice(3)).toEqual(["w1"]);
    // the last report of each leaf saw its final gradient
    const all = params.grads.toFloat32Array();
    for (const [name, g] of final) {
      const r = params.ranges.get(name)!;
      expect(Array.from(g), name).toEqual(Array.from(all.subarray(r.offset, r.offset + r.numel)));
    }
    params.dispose();
    x.dispose();
    y.dispose();
  });
});

describe("host marks", () => {
  it("run eagerly at once, and a replayed plan calls them at the recorded places", () => {
    const { params, pass, dispose } = net();
    const labels = new Map([
      ["w3", 3],
      ["w2", 2],
      ["w1", 1],
      ["b1", 0],
    ]);
    const step = () => pass((name) => hostMark(labels.get(name)!));
    const grad = (name: string) => {
      const r = params.ranges.get(name)!;
      return params.grads.toFloat32Array().slice(r.offset, r.offset + r.numel);
    };
    // eager: the handler sees w3's final gradient and w2's still zero at mark 3
    const eager: [number, Float32Array, Float32Array][] = [];
    withMarks((label) => eager.push([label, grad("w3"), grad("w2")]), step);
    const { plan } = withMarks(
      () => {},
      () => Plan.record(step),
    );
    expect(plan.markLabels).toEqual(eager.map((e) => e[0]));
    expect(eager[0]![2].every((v) => v === 0)).toBe(true);
    const replayed: [number, Float32Array, Float32Array][] = [];
    plan.run((label) => replayed.push([label, grad("w3"), grad("w2")]));
    expect(replayed.map((r) => r[0])).toEqual(eager.map((e) => e[0]));
    for (let i = 0; i < eager.length; i++) {
      expect(Array.from(replayed[i]![1])).toEqual(Array.from(eager[i]![1]));
      expect(Array.from(replayed[i]![2])).toEqual(Array.from(eager[i]![2]));
    }
    // without a handler the marks are skipped and the step's numbers are the same
    const before = params.grads.toFloat32Array().slice();
    plan.run();
    expect(Array.from(params.grads.toFloat32Array())).toEqual(Array.from(before));
    plan.dispose();
    dispose();
  });

  it("a mark with no handler installed does nothing, and handlers nest", () => {
    const outer: number[] = [];
    const inner: number[] = [];
    hostMark(7);
    withMarks(
      (l) => outer.push(l),
      () => {
        hostMark(1);
        withMarks(
          (l) => inner.push(l),
          () => hostMark(2),
        );
        hostMark(3);
      },
    );
    expect(outer).toEqual([1, 3]);
    expect(inner).toEqual([2]);
  });
});
