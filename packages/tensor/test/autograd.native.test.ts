// Tape mechanics: noGrad records nothing, gradients accumulate across uses and calls, saved
// tensors survive the scope that made them, backward frees everything it allocated, and the
// checkpoint op keeps only its inputs alive between forward and backward.
import { describe, expect, it } from "vitest";
import {
  activeTape,
  add,
  allocStats,
  backward,
  checkpoint,
  gelu,
  linear,
  noGrad,
  scale,
  scope,
  Tensor,
} from "../src/index";
import { randn, rng } from "./helpers/gradcheck";

const sum = (a: Float32Array) => a.reduce((s, x) => s + x, 0);

describe("tape", () => {
  it("records nothing under noGrad and its outputs do not require grad", () => {
    const x = Tensor.fromArray([1, 2, 3], [3]).requireGrad();
    const before = activeTape().entries.length;
    const y = noGrad(() => gelu(x));
    expect(activeTape().entries.length).toBe(before);
    expect(y.requiresGrad).toBe(false);
    expect(() => backward(scale(y, 2))).toThrow(/does not require grad/);
    x.dispose();
    y.dispose();
  });

  it("sums gradients over every use of a tensor and accumulates leaf grads across calls", () => {
    const x = Tensor.fromArray([0.5, -1, 2], [3]).requireGrad();
    // y = x + 3x, L = Σ y·r  =>  dL/dx = 4r
    const r = Tensor.fromArray([1, 2, 3], [3]);
    scope(() => backward(add(x, scale(x, 3)), r));
    expect(Array.from(x.grad!.toFloat32Array())).toEqual([4, 8, 12]);
    scope(() => backward(add(x, scale(x, 3)), r));
    expect(Array.from(x.grad!.toFloat32Array())).toEqual([8, 16, 24]);
    expect(Array.from(r.toFloat32Array())).toEqual([1, 2, 3]); // the caller's dout is never written
    expect(activeTape().entries.length).toBe(0);
    x.grad!.dispose();
    x.dispose();
    r.dispose();
  });

  it("backpropagates after the forward's scope freed the intermediates, then frees all it made", () => {
    const rand = rng(1);
    const x = Tensor.fromArray(randn(4 * 8, rand), [4, 8]).requireGrad();
    const w = Tensor.fromArray(randn(8 * 8, rand), [8, 8]).requireGrad();
    const base = allocStats().liveBytes;
    const y = scope(() => gelu(linear(gelu(x), w)));
    const dy = Tensor.fromArray(new Float32Array(32).fill(1), [4, 8]);
    backward(y, dy);
    y.dispose();
    dy.dispose();
    // Only the two leaf gradients remain.
    expect(allocStats().liveBytes - base).toBe((32 + 64) * 4);
    expect(sum(x.grad!.toFloat32Array())).not.toBe(0);
    for (const t of [x.grad!, w.grad!, x, w]) t.dispose();
  });

  it("checkpoint keeps only its inputs between forward and backward, with the same gradients", () => {
    const rand = rng(2);
    const x = Tensor.fromArray(randn(64 * 64, rand), [64, 64]).requireGrad();
    const w = Tensor.fromArray(randn(64 * 64, rand, 0.1), [64, 64]).requireGrad();
    const block = (h: Tensor) => gelu(linear(gelu(linear(h, w)), w));
    const run = (useCheckpoint: boolean) => {
      const base = allocStats().liveBytes;
      const y = scope(() => (useCheckpoint ? checkpoint(block, [x]) : block(x)));
      const held = allocStats().liveBytes - base;
      backward(y, Tensor.fromArray(new Float32Array(64 * 64).fill(1), [64, 64]));
      y.dispose();
      const grads = { dx: x.grad!.toFloat32Array(), dw: w.grad!.toFloat32Array() };
      x.grad!.dispose();
      w.grad!.dispose();
      x.grad = null;
      w.grad = null;
      return { held, grads };
    };
    const plain = run(false);
    const ckpt = run(true);
    expect(ckpt.grads).toEqual(plain.grads);
    // Plain keeps the output and 3 saved activations (16 KiB each) plus means/pointers; the
    // checkpoint keeps the output and nothing else beyond x itself.
    expect(ckpt.held).toBe(64 * 64 * 4);
    expect(plain.held).toBeGreaterThanOrEqual(4 * 64 * 64 * 4);
    x.dispose();
    w.dispose();
  });
});
