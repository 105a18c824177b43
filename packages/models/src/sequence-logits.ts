// One sequence's logits on the host, for inspection commands (`neox model logits`) and comparisons
// against other implementations: no gradients, dropout off for the call, intermediates freed.
import { noGrad, scope, Tensor } from "@neox/tensor";
import type { GptNeoXModel } from "./gpt-neox/model";

/** Token ids (T) -> logits (T·V) fp32, row t the prediction after ids[0..t]. */
export function sequenceLogits(model: GptNeoXModel, ids: readonly number[]): Float32Array {
  const training = model.dropout.training;
  model.dropout.training = false;
  try {
    return scope(() =>
      noGrad(() => {
        const x = Tensor.fromArray(Int32Array.from(ids), [1, ids.length], { dtype: "i32" });
        return model.forward(x).toFloat32Array();
      }),
    );
  } finally {
    model.dropout.training = training;
  }
}
