// Typed wrappers for the embedding kernels (kernels/cpu/embedding.h). ids are int32 token ids.
import { type Address, bindNative } from "./bind";

/** out[n, :] = weight[ids[n], :]; throws naming the position of an id outside [0, V). */
export const embeddingForward =
  bindNative<(out: Address, ids: Address, weight: Address, N: number, C: number, V: number) => void>(
    "embeddingForward",
  );
/** dweight[ids[n], :] += dout[n, :] (deterministic: threads own column ranges). */
export const embeddingBackward =
  bindNative<(dweight: Address, dout: Address, ids: Address, N: number, C: number, V: number) => void>(
    "embeddingBackward",
  );
