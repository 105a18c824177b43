// Softmax cross-entropy (kernels/cpu/cross-entropy.h), the token embedding (embedding.h) and the
// row argmax (argmax.h).
// targets and ids are int32; a negative target marks an ignored row.

import { declareKernels } from "./kernel";

export const LOSS = declareKernels({
  /** loss[0] = Σ CE·m / Σ m in fp32, m = mask·[target >= 0]; lse per row for the backward */
  crossEntropyForward: {
    loss: "out f32",
    losses: "out? f32",
    lse: "out? f32",
    logits: "in f32",
    targets: "in i32",
    mask: "in? f32",
    N: "size",
    V: "size",
  },
  /** dlogits = dloss[0]·m/Σm·(softmax - onehot), dloss a one-element device tensor; dlogits may be logits itself */
  crossEntropyBackward: {
    dlogits: "out f32",
    logits: "in f32",
    lse: "in f32",
    targets: "in i32",
    mask: "in? f32",
    dloss: "in f32",
    N: "size",
    V: "size",
  },
  /**
   * Forward and backward in one pass over the logits: loss as crossEntropyForward, dlogits as
   * crossEntropyBackward with upstream gradient dloss[0]; dlogits may be logits itself (in place).
   */
  crossEntropyFused: {
    loss: "out f32",
    losses: "out? f32",
    dlogits: "out f32",
    logits: "in f32",
    targets: "in i32",
    mask: "in? f32",
    dloss: "in f32",
    N: "size",
    V: "size",
  },
  /** out[r] = the first index of row r's maximum (NaN skipped; a row of NaNs gives 0) */
  argmaxRows: { out: "out i32", inp: "in f32", R: "size", V: "size" },
  /** out[n, :] = weight[ids[n], :] */
  embeddingForward: { out: "out f32", ids: "in i32", weight: "in f32", N: "size", C: "size", V: "size" },
  /** dweight[ids[n], :] += dout[n, :] */
  embeddingBackward: {
    dweight: "inout f32",
    dout: "in f32",
    ids: "in i32",
    N: "size",
    C: "size",
    V: "size",
  },
});
