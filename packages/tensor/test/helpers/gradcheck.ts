// Finite-difference gradient check through the tape. L = Σ out·R for a fixed random R; the tape's
// gradient of every input that requires grad is compared with central differences
// (L(x + h) - L(x - h)) / 2h, evaluated in float32 by the same kernels, at sampled elements.
import { backward, noGrad, scope, Tensor } from "../../src/index";

/** mulberry32: a small seeded generator, so every test draws the same numbers. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(n: number, rand: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return out;
}

export interface GradMismatch {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

/**
 * Returns the mismatches: sampled elements where |analytic - numeric| > atol + rtol·max(|a|, |n|).
 * Inputs that require grad must be contiguous f32 leaves (their values are perturbed on the host).
 */
export function gradCheck(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  opts: { h?: number; rtol?: number; atol?: number; samples?: number; seed?: number } = {},
): GradMismatch[] {
  const h = opts.h ?? 1e-2;
  const rtol = opts.rtol ?? 2e-2;
  const atol = opts.atol ?? 2e-3;
  const rand = rng(opts.seed ?? 7);
  const bad: GradMismatch[] = [];
  const count = noGrad(() => scope(() => fn(...inputs).numel));
  const r = randn(count, rand);
  const lossOf = (): number =>
    noGrad(() =>
      scope(() => {
        const out = fn(...inputs).toFloat32Array();
        let s = 0;
        for (let i = 0; i < out.length; i++) s += out[i]! * r[i]!;
        return s;
      }),
    );
  for (const x of inputs) x.grad = null;
  scope(() => {
    const out = fn(...inputs);
    backward(out, Tensor.fromArray(r, out.shape));
  });
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    if (!x.grad) throw new Error(`gradCheck: input ${k} (${x}) received no gradient`);
    const analytic = x.grad.toFloat32Array();
    const values = x.toFloat32Array();
    const n = Math.min(opts.samples ?? 24, values.length);
    for (let s = 0; s < n; s++) {
      const i = n === values.length ? s : Math.floor(rand() * values.length);
      const v = values[i]!;
      values[i] = v + h;
      x.write(values);
      const up = lossOf();
      values[i] = v - h;
      x.write(values);
      const down = lossOf();
      values[i] = v;
      x.write(values);
      const numeric = (up - down) / (2 * h);
      const a = analytic[i]!;
      if (Math.abs(a - numeric) > atol + rtol * Math.max(Math.abs(a), Math.abs(numeric))) {
        bad.push({ input: k, index: i, analytic: a, numeric });
      }
    }
    x.grad.dispose();
    x.grad = null;
  });
  return bad;
}
