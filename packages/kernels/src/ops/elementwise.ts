// Typed wrappers for the element-wise kernels (kernels/cpu/{fill,reduce,bias-add,residual,gelu,glu,
// dropout}.h). Every argument is a native address (from alloc/NativeBuffer) or a size; outputs
// come first, then inputs, then sizes. Parameter gradients (dbias) accumulate; activation
// gradients are overwritten.
import { type Address, bindNative } from "./bind";

/** out[0..n) = value */
export const fillF32 = bindNative<(out: Address, value: number, n: number) => void>("fillF32");
/** out = alpha · inp (out may alias inp); also the backward of a scale. */
export const scaleF32 =
  bindNative<(out: Address, inp: Address, alpha: number, n: number) => void>("scaleF32");
/** out = a + alpha · b (out may alias a or b: accumulates gradients). */
export const axpyF32 =
  bindNative<(out: Address, a: Address, b: Address, alpha: number, n: number) => void>("axpyF32");
/** out = inp; the buffers must be the same or disjoint. */
export const copyF32 = bindNative<(out: Address, inp: Address, n: number) => void>("copyF32");
/**
 * Contiguous out (D0, D1, D2, D3) from inp with element strides (s0, s1, s2, s3): transposes,
 * slices and broadcasts (stride 0) into a dense buffer.
 */
export const copyStridedF32 =
  bindNative<
    (
      out: Address,
      inp: Address,
      D0: number,
      D1: number,
      D2: number,
      D3: number,
      s0: number,
      s1: number,
      s2: number,
      s3: number,
    ) => void
  >("copyStridedF32");
/** fp32 -> bf16 bit patterns, round to nearest even. */
export const castF32ToBf16 = bindNative<(out: Address, inp: Address, n: number) => void>("castF32ToBf16");
export const castBf16ToF32 = bindNative<(out: Address, inp: Address, n: number) => void>("castBf16ToF32");

/** out[c] = (accumulate ? out[c] : 0) + alpha · Σ_n inp[n·ld + c] (alpha = 1/N: mean over rows). */
export const sumRowsF32 =
  bindNative<
    (out: Address, inp: Address, N: number, C: number, ld: number, alpha: number, accumulate: boolean) => void
  >("sumRowsF32");
/** out[n] = (accumulate ? out[n] : 0) + alpha · Σ_c inp[n·ld + c]. */
export const sumColsF32 =
  bindNative<
    (out: Address, inp: Address, N: number, C: number, ld: number, alpha: number, accumulate: boolean) => void
  >("sumColsF32");

/** out[n,c] = inp[n,c] + bias[c] */
export const biasAddForward =
  bindNative<(out: Address, inp: Address, bias: Address, N: number, C: number) => void>("biasAddForward");
/** dbias[c] += Σ_n dout[n,c] (dinp is dout itself). */
export const biasAddBackward =
  bindNative<(dbias: Address, dout: Address, N: number, C: number) => void>("biasAddBackward");

/** out = a + b */
export const residualForward =
  bindNative<(out: Address, a: Address, b: Address, n: number) => void>("residualForward");
/** da = dout, db = dout (0 skips one). */
export const residualBackward =
  bindNative<(da: Address, db: Address, dout: Address, n: number) => void>("residualBackward");

/** GELU, exact (erf) or tanh approximation (GPT-NeoX bias_gelu_fusion). */
export const geluForward =
  bindNative<(out: Address, inp: Address, n: number, tanhApprox: boolean) => void>("geluForward");
export const geluBackward =
  bindNative<(dinp: Address, dout: Address, inp: Address, n: number, tanhApprox: boolean) => void>(
    "geluBackward",
  );

/** ReLU, max(x, 0) (GPT-NeoX `activation: relu`); the backward passes dout where inp > 0. */
export const reluForward = bindNative<(out: Address, inp: Address, n: number) => void>("reluForward");
export const reluBackward =
  bindNative<(dinp: Address, dout: Address, inp: Address, n: number) => void>("reluBackward");

/** SiLU, x·σ(x) (GPT-NeoX `activation: silu` or `swish`). */
export const siluForward = bindNative<(out: Address, inp: Address, n: number) => void>("siluForward");
export const siluBackward =
  bindNative<(dinp: Address, dout: Address, inp: Address, n: number) => void>("siluBackward");

/** The activation of a gated unit: act(gate)·x with input rows [x ‖ gate]. */
export const GLU_KIND = { swiglu: 0, geglu: 1, gegluTanh: 2, reglu: 3 } as const;
export type GluKind = (typeof GLU_KIND)[keyof typeof GLU_KIND];
/** out (N, C) = act(inp[:, C:2C]) · inp[:, 0:C] */
export const gluForward =
  bindNative<(out: Address, inp: Address, N: number, C: number, kind: GluKind) => void>("gluForward");
/** dinp (N, 2C) from dout (N, C); dinp must not alias inp. */
export const gluBackward =
  bindNative<(dinp: Address, dout: Address, inp: Address, N: number, C: number, kind: GluKind) => void>(
    "gluBackward",
  );

/**
 * Inverted dropout with a counter-based mask: element i keeps when uniform(seed, offset + i) >= p.
 * Give each call its own offset range (e.g. a running element counter) and the backward the same
 * (seed, offset): it regenerates the mask.
 */
export const dropoutForward =
  bindNative<(out: Address, inp: Address, n: number, p: number, seed: number, offset: number) => void>(
    "dropoutForward",
  );
export const dropoutBackward =
  bindNative<(dinp: Address, dout: Address, n: number, p: number, seed: number, offset: number) => void>(
    "dropoutBackward",
  );
