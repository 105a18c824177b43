// Greedy decoding's next tokens: the index of each row's maximum, computed where the logits live
// so only R int32s come back to the host, not R·V floats. Ties go to the first index; NaN is never
// greater than anything (skipped), and a row of NaNs only gives 0 (kernels/cpu/argmax.h).

import { k } from "../kernels";
import { Tensor } from "../tensor";
import { dense } from "./basic";

/**
 * logits (..., V) f32: the argmax of each row of the last dimension, as a host Int32Array of
 * numel / V entries (row-major over the leading dimensions). Not recorded on a tape (an index has
 * no gradient).
 */
export function argmaxRows(logits: Tensor): Int32Array {
  if (logits.dtype !== "f32") throw new Error(`argmaxRows: logits must be f32, got ${logits}`);
  if (logits.ndim < 1 || logits.size(-1) < 1)
    throw new Error(`argmaxRows: logits ${logits} need a last dimension of at least one class`);
  const V = logits.size(-1);
  const R = logits.numel / V;
  const src = dense(logits);
  const out = Tensor.empty([Math.max(R, 1)], { dtype: "i32", device: logits.device });
  try {
    if (R > 0) k.argmaxRows(src.backend, { out, inp: src, R, V });
    return (out.toHost() as Int32Array).slice(0, R);
  } finally {
    out.dispose();
    if (src !== logits) src.dispose();
  }
}
