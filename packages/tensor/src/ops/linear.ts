// Linear layer y = x·Wᵀ + b (torch.nn.Linear / GPT-NeoX ColumnParallelLinear at TP 1) on the
// kernels' GEMM. x (N, K) rows, W (M, K), b (M), y (N, M). With a bf16 or fp16 working copy of W
// the GEMMs take inputs of that dtype (activations cast on the fly, round to nearest even; fp16
// overflows to Inf, which the dynamic loss scaler looks for) and accumulate in fp32, as torch
// autocast does; gradients stay fp32 and land on the fp32 master weight.

import { record } from "../autograd/tape";
import type { DType } from "../dtype";
import { k as kernels } from "../kernels";
import { Tensor } from "../tensor";
import { castInto, dense } from "./basic";

export interface LinearOptions {
  /** bf16 or f16 working copy of `weight`, refreshed by the caller after each optimizer step. */
  weightLowp?: Tensor | null;
}

function rows(x: Tensor, op: string): { n: number; k: number } {
  if (x.ndim < 1) throw new Error(`${op}: input must have at least one dimension`);
  const k = x.size(-1);
  return { n: x.numel / k, k };
}

/** The 16-bit dtypes the GEMMs take beside f32 (the working-copy dtypes). */
export type LowpDType = "bf16" | "f16";

const isLowp = (d: DType): d is LowpDType => d === "bf16" || d === "f16";

/**
 * C(M,N) = alpha·op(A)·op(B) + beta·C with row-major operands; bf16 / f16 when A and B are. An f32
 * operand beside an f16 one is rounded to f16 first, as autocast rounds every GEMM input (so a
 * caller holding an fp32 gradient and an fp16 weight gets the fp16 GEMM).
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Tensor,
  lda: number,
  b: Tensor,
  ldb: number,
  beta: number,
  c: Tensor,
  ldc: number,
): void {
  if (a.dtype !== b.dtype) {
    const mixed = (a.dtype === "f32" && b.dtype === "f16") || (a.dtype === "f16" && b.dtype === "f32");
    if (!mixed) throw new Error(`gemm: operand dtypes ${a.dtype} and ${b.dtype} differ`);
    const wide = a.dtype === "f32" ? a : b;
    // lda/ldb index the operand's own storage: a dense copy keeps the layout only if it was dense.
    if (!wide.isContiguous)
      throw new Error(`gemm: the f32 operand ${wide} beside an f16 one must be contiguous`);
    const low = toLowp(wide, "f16");
    gemm(transA, transB, m, n, k, alpha, a === wide ? low : a, lda, b === wide ? low : b, ldb, beta, c, ldc);
    low.dispose();
    return;
  }
  const args = { transA, transB, M: m, N: n, K: k, alpha, A: a, lda, B: b, ldb, beta, C: c, ldc };
  if (a.dtype === "bf16") kernels.gemmBf16(a.backend, args);
  else if (a.dtype === "f16") kernels.gemmF16(a.backend, args);
  else kernels.sgemm(a.backend, args);
}

/** A dense copy of `t` in a 16-bit GEMM dtype (round to nearest even; f16 overflows to ±Inf). */
export function toLowp(t: Tensor, dtype: LowpDType): Tensor {
  const out = Tensor.empty(t.shape, { dtype, device: t.device });
  if (dtype === "bf16") return castInto(out, dense(t));
  const src = dense(t);
  kernels.castF32ToF16(t.backend, { out, inp: src, n: out.numel });
  if (src !== t) src.dispose();
  return out;
}

export function toBf16(t: Tensor): Tensor {
  return toLowp(t, "bf16");
}

export function linear(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  opts: LinearOptions = {},
): Tensor {
  const { n, k } = rows(x, "linear");
  if (weight.ndim !== 2 || weight.size(1) !== k) {
    throw new Error(`linear: weight ${weight} does not match input features ${k} (expected [out, ${k}])`);
  }
  const m = weight.size(0);
  if (bias && (bias.ndim !== 1 || bias.size(0) !== m)) throw new Error(`linear: bias ${bias} must be [${m}]`);
  const xc = dense(x);
  const wc = opts.weightLowp ?? dense(weight);
  const xin = isLowp(wc.dtype) ? toLowp(xc, wc.dtype) : xc;
  const y = Tensor.empty([...x.shape.slice(0, -1), m], { device: x.device });
  gemm(false, true, n, m, k, 1, xin, k, wc, k, 0, y, m);
  if (bias) kernels.biasAddForward(x.backend, { out: y, inp: y, bias, N: n, C: m });
  // Saves the GEMM operands as the GEMMs read them (16-bit x when lowp), for dW = dyᵀ·x and dx = dy·W.
  record("linear", [x, weight, bias], [y], [xin, wc], { n, k, m });
  if (xin !== xc) xin.dispose();
  return y;
}
