// Element-wise building blocks of the tape itself: fill, copies (contiguous / strided), casts,
// add and in-place accumulation. Kernels: packages/kernels (fill.cc, residual.cc).

import { record } from "../autograd/tape";
import type { DType } from "../dtype";
import { itemSize } from "../dtype";
import { k } from "../kernels";
import { Tensor } from "../tensor";

function requireF32(t: Tensor, op: string): void {
  if (t.dtype !== "f32") throw new Error(`${op}: ${t} must be f32`);
}

function requireContiguous(t: Tensor, op: string): void {
  if (!t.isContiguous) throw new Error(`${op}: ${t} must be contiguous (call contiguous() first)`);
}

function sameShape(a: Tensor, b: Tensor, op: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op}: shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] differ`);
  }
}

/** Set every element of a contiguous tensor to `value` in place; returns it. Not recorded. */
export function fill(t: Tensor, value: number): Tensor {
  requireContiguous(t, "fill");
  if (t.dtype === "f32") k.fillF32(t.backend, { out: t, value, n: t.numel });
  else if (value === 0) k.memset0(t.backend, { dst: t, bytes: t.numel * itemSize(t.dtype) });
  else throw new Error(`fill: ${t.dtype} tensors can only be filled with 0`);
  return t;
}

export function zeros(shape: readonly number[], dtype: DType = "f32"): Tensor {
  return fill(Tensor.empty(shape, { dtype }), 0);
}

export function full(shape: readonly number[], value: number): Tensor {
  return fill(Tensor.empty(shape), value);
}

// Merge dimensions that are laid out back to back, so a view of up to 4 strided runs fits one
// copy_strided call (e.g. a transposed (B, T, NH, HS) view collapses to 4 dims or fewer).
function collapse(
  shape: readonly number[],
  strides: readonly number[],
): { shape: number[]; strides: number[] } {
  const s: number[] = [];
  const st: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const n = s.length;
    if (n > 0 && st[n - 1] === strides[i]! * shape[i]!) {
      s[n - 1]! *= shape[i]!;
      st[n - 1] = strides[i]!;
    } else {
      s.push(shape[i]!);
      st.push(strides[i]!);
    }
  }
  return { shape: s, strides: st };
}

/** dst (contiguous) = src (any strides, same shape). Not recorded. */
export function copyInto(dst: Tensor, src: Tensor): Tensor {
  sameShape(dst, src, "copyInto");
  requireContiguous(dst, "copyInto");
  if (dst.dtype !== src.dtype)
    throw new Error(`copyInto: dtypes ${dst.dtype} and ${src.dtype} differ (use cast)`);
  if (src.isContiguous) {
    // The native multi-threaded copy for f32; other dtypes through the backend's byte copy.
    if (dst.dtype === "f32") k.copyF32(dst.backend, { out: dst, inp: src, n: dst.numel });
    else k.memcpy(dst.backend, { dst, src, bytes: dst.numel * itemSize(dst.dtype) });
    return dst;
  }
  requireF32(src, "copyInto (strided)");
  const c = collapse(src.shape, src.strides);
  if (c.shape.length > 4) throw new Error(`copyInto: ${src} has more than 4 strided dimensions`);
  while (c.shape.length < 4) {
    c.shape.unshift(1);
    c.strides.unshift(0);
  }
  const [D0, D1, D2, D3] = c.shape as [number, number, number, number];
  const [s0, s1, s2, s3] = c.strides as [number, number, number, number];
  k.copyStridedF32(dst.backend, { out: dst, inp: src, D0, D1, D2, D3, s0, s1, s2, s3 });
  return dst;
}

/** A contiguous tensor with the values of `t`: `t` itself when already contiguous. */
export function contiguous(t: Tensor): Tensor {
  if (t.isContiguous) return t;
  const out = dense(t);
  record("contiguous", [t], [out]);
  return out;
}

/** Like contiguous() but never recorded: for ops that read a strided input as data. */
export function dense(t: Tensor): Tensor {
  if (t.isContiguous) return t;
  return copyInto(Tensor.empty(t.shape, { dtype: t.dtype, device: t.device }), t);
}

/** out = a + b (same shape, f32). */
export function add(a: Tensor, b: Tensor): Tensor {
  sameShape(a, b, "add");
  requireF32(a, "add");
  requireF32(b, "add");
  const ac = dense(a);
  const bc = dense(b);
  const out = Tensor.empty(a.shape, { device: a.device });
  k.residualForward(a.backend, { out, a: ac, b: bc, n: out.numel });
  record("add", [a, b], [out]);
  return out;
}

/** dst += src in place (gradient accumulation). Not recorded. */
export function accumulate(dst: Tensor, src: Tensor): Tensor {
  sameShape(dst, src, "accumulate");
  requireContiguous(dst, "accumulate");
  requireF32(dst, "accumulate");
  const s = dense(src);
  k.axpyF32(dst.backend, { out: dst, a: dst, b: s, alpha: 1, n: dst.numel });
  if (s !== src) s.dispose();
  return dst;
}

/** out = alpha * t. */
export function scale(t: Tensor, alpha: number): Tensor {
  requireF32(t, "scale");
  const tc = dense(t);
  const out = Tensor.empty(t.shape, { device: t.device });
  k.scaleF32(t.backend, { out, inp: tc, alpha, n: out.numel });
  record("scale", [t], [out], [], { alpha });
  return out;
}

/** Convert between f32 and bf16 (round to nearest even). The gradient converts back. */
export function cast(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const tc = dense(t);
  const out = Tensor.empty(t.shape, { dtype, device: t.device });
  if (t.dtype === "f32" && dtype === "bf16") k.castF32ToBf16(t.backend, { out, inp: tc, n: out.numel });
  else if (t.dtype === "bf16" && dtype === "f32") k.castBf16ToF32(t.backend, { out, inp: tc, n: out.numel });
  else throw new Error(`cast: ${t.dtype} -> ${dtype} is not supported (f32 <-> bf16 only)`);
  record("cast", [t], [out], [], { from: t.dtype });
  return out;
}

/** Cast into an existing contiguous tensor (bf16 working copies of f32 master weights). */
export function castInto(dst: Tensor, src: Tensor): Tensor {
  sameShape(dst, src, "castInto");
  requireContiguous(dst, "castInto");
  requireContiguous(src, "castInto");
  if (src.dtype === "f32" && dst.dtype === "bf16")
    k.castF32ToBf16(src.backend, { out: dst, inp: src, n: dst.numel });
  else if (src.dtype === "bf16" && dst.dtype === "f32")
    k.castBf16ToF32(src.backend, { out: dst, inp: src, n: dst.numel });
  else throw new Error(`castInto: ${src.dtype} -> ${dst.dtype} is not supported`);
  return dst;
}
