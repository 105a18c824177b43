// Token embedding lookup: out[n, :] = weight[ids[n], :]. ids are i32. Kernel:
// kernels/cpu/embedding.cc (its backward scatter-adds into the weight gradient).

import { record } from "../autograd/tape";
import { k } from "../kernels";
import { Tensor } from "../tensor";

export function embedding(weight: Tensor, ids: Tensor): Tensor {
  if (ids.dtype !== "i32" || !ids.isContiguous)
    throw new Error(`embedding: ids ${ids} must be contiguous i32`);
  if (weight.ndim !== 2 || !weight.isContiguous)
    throw new Error(`embedding: weight ${weight} must be contiguous [V, C]`);
  const [v, c] = weight.shape as [number, number];
  const n = ids.numel;
  const out = Tensor.empty([...ids.shape, c], { device: weight.device });
  k.embeddingForward(weight.backend, { out, ids, weight, N: n, C: c, V: v });
  record("embedding", [weight, null], [out], [ids], { n, c, v });
  return out;
}
