// GPT-NeoX's `evaluate`: `eval_iters` iterations of `gas` micro-batches from a split's stream, forward
// only, dropout off; the reported loss is the mean of the micro-batch losses (lm_loss), and the
// perplexity its exponential. The stream keeps its position across evaluations, as GPT-NeoX's
// valid iterator does, and a checkpoint records it.
import type { GptNeoXModel } from "@neox/models";
import { noGrad, scope, Tensor } from "@neox/tensor";
import { allocMicroBatch, type MicroBatchStream } from "./batches";

/** Mean loss over `microBatches` micro-batches of `stream`. */
export function evaluate(model: GptNeoXModel, stream: MicroBatchStream, microBatches: number): number {
  const host = allocMicroBatch(stream.micro, stream.T);
  const training = model.dropout.training;
  model.dropout.training = false;
  let sum = 0;
  try {
    for (let i = 0; i < microBatches; i++) {
      stream.next(host);
      sum += scope(() =>
        noGrad(() => {
          const shape = [stream.micro, stream.T];
          const tokens = Tensor.fromArray(host.tokens, shape, { dtype: "i32" });
          const labels = Tensor.fromArray(host.labels, shape, { dtype: "i32" });
          const mask = Tensor.fromArray(host.mask, shape);
          return model.loss(tokens, labels, mask).item();
        }),
      );
    }
  } finally {
    model.dropout.training = training;
  }
  return sum / microBatches;
}
