// Every gradient rule of the tape, one entry per op (tinygrad-style single table). A rule gets
// the tape entry (inputs, saved tensors, attributes) and the gradient of each output, and returns
// the gradient of each input (null where an input takes none). Rules run under a scope: whatever
// they allocate and do not return is freed right away.

import type { DType } from "../dtype";
import { cast, copyInto, dense, fill, scale } from "../ops/basic";
import { type Tensor, Tensor as TensorClass } from "../tensor";
import type { TapeEntry } from "./tape";

export type GradRule = (entry: TapeEntry, douts: Tensor[]) => (Tensor | null)[];

const attr = <T>(entry: TapeEntry, key: string): T => entry.attrs[key] as T;

export const GRAD_RULES: Record<string, GradRule> = {
  // ---- views and copies --------------------------------------------------------------------
  reshape: (e, [d]) => [dense(d!).view(...attr<number[]>(e, "shape"))],
  transpose: (e, [d]) => [d!.transpose(attr(e, "a"), attr(e, "b"))],
  narrow: (e, [d]) => {
    const full = fill(TensorClass.empty(attr<number[]>(e, "shape")), 0);
    const region = full.narrow(attr(e, "dim"), attr(e, "start"), d!.size(attr(e, "dim")));
    if (!region.isContiguous) throw new Error("narrow: gradient of a non-contiguous narrow is not supported");
    copyInto(region, d!);
    return [full];
  },
  contiguous: (_e, [d]) => [d!],
  cast: (e, [d]) => [cast(d!, attr<DType>(e, "from"))],
  // ---- arithmetic ----------------------------------------------------------------------------
  add: (_e, [d]) => [d!, d!],
  scale: (e, [d]) => [scale(d!, attr(e, "alpha"))],
};
