// Linear layer y = x·Wᵀ + b (torch.nn.Linear / GPT-NeoX ColumnParallelLinear at TP 1) on the
// kernels' GEMM. x (N, K) rows, W (M, K), b (M), y (N, M). With a bf16 working copy of W the GEMMs
// take bf16 inputs (activations cast on the fly) and accumulate in fp32, as torch autocast does;
// gradients stay fp32 and land on the fp32 master weight.

import { record } from "../autograd/tape";
import { k as kernels } from "../kernels";
import { Tensor } from "../tensor";
import { castInto, dense } from "./basic";

export interface LinearOptions {
  /** bf16 working copy of `weight`, refreshed by the caller after each optimizer step. */
  weightLowp?: Tensor | null;
}

function rows(x: Tensor, op: string): { n: number; k: number } {
  if (x.ndim < 1) throw new Error(`${op}: input must have at least one dimension`);
  const k = x.size(-1);
  return { n: x.numel / k, k };
}

/** C(M,N) = alpha·op(A)·op(B) + beta·C with row-major operands; bf16 when A and B are bf16. */
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
  if (a.dtype !== b.dtype) throw new Error(`gemm: operand dtypes ${a.dtype} and ${b.dtype} differ`);
  const args = { transA, transB, M: m, N: n, K: k, alpha, A: a, lda, B: b, ldb, beta, C: c, ldc };
  if (a.dtype === "bf16") kernels.gemmBf16(a.backend, args);
  else kernels.sgemm(a.backend, args);
}

export function toBf16(t: Tensor): Tensor {
  return castInto(Tensor.empty(t.shape, { dtype: "bf16", device: t.device }), dense(t));
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
  const xin = wc.dtype === "bf16" ? toBf16(xc) : xc;
  const y = Tensor.empty([...x.shape.slice(0, -1), m], { device: x.device });
  gemm(false, true, n, m, k, 1, xin, k, wc, k, 0, y, m);
  if (bias) kernels.biasAddForward(x.backend, { out: y, inp: y, bias, N: n, C: m });
  // Saves the GEMM operands as the GEMMs read them (bf16 x when lowp), for dW = dyᵀ·x and dx = dy·W.
  record("linear", [x, weight, bias], [y], [xin, wc], { n, k, m });
  if (xin !== xc) xin.dispose();
  return y;
}
