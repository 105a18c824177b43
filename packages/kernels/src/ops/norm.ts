// Typed wrappers for layer norm and RMS norm (kernels/cpu/layer-norm.h, rms-norm.h). Optional
// buffers take the null address 0: weight/bias (non-parametric), mean/rstd (inference), dweight/
// dbias (frozen). Parameter gradients accumulate (+=); dinp is overwritten. `Bf16` variants take
// bf16 activations (out/inp/dout/dinp) with fp32 weights and statistics.
import { type Address, bindNative } from "./bind";

type LayerNormForward = (
  out: Address,
  mean: Address,
  rstd: Address,
  inp: Address,
  weight: Address,
  bias: Address,
  N: number,
  C: number,
  eps: number,
) => void;
type LayerNormBackward = (
  dinp: Address,
  dweight: Address,
  dbias: Address,
  dout: Address,
  inp: Address,
  weight: Address,
  mean: Address,
  rstd: Address,
  N: number,
  C: number,
) => void;
type RmsNormForward = (
  out: Address,
  rstd: Address,
  inp: Address,
  weight: Address,
  N: number,
  C: number,
  eps: number,
) => void;
type RmsNormBackward = (
  dinp: Address,
  dweight: Address,
  dout: Address,
  inp: Address,
  weight: Address,
  rstd: Address,
  N: number,
  C: number,
) => void;

/** torch.nn.LayerNorm over the last dimension: biased variance, eps (GPT-NeoX 1e-5) inside the root. */
export const layernormForward = bindNative<LayerNormForward>("layernormForward");
export const layernormBackward = bindNative<LayerNormBackward>("layernormBackward");
export const layernormForwardBf16 = bindNative<LayerNormForward>("layernormForwardBf16");
export const layernormBackwardBf16 = bindNative<LayerNormBackward>("layernormBackwardBf16");
/** x·rsqrt(mean(x²) + eps)·weight (eps inside the root, as GPT-NeoX since #1345 and HF). */
export const rmsnormForward = bindNative<RmsNormForward>("rmsnormForward");
export const rmsnormBackward = bindNative<RmsNormBackward>("rmsnormBackward");
export const rmsnormForwardBf16 = bindNative<RmsNormForward>("rmsnormForwardBf16");
export const rmsnormBackwardBf16 = bindNative<RmsNormBackward>("rmsnormBackwardBf16");
