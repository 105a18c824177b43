// Parameters as views of one flat fp32 buffer, gradients as views of one flat gradient buffer
// (DESIGN §6: flat master weights and flat grads, ready for bucketed all-reduce and ZeRO slices),
// optionally with a flat bf16 or fp16 working copy (GPT-NeoX's bf16 / fp16 precision: the GEMMs
// read it, the optimizer updates the fp32 master). Parameters are laid out with the weight-decay group
// first, so each group is one contiguous range for the optimizer.

import { k } from "../kernels";
import { castInto, fill } from "../ops/basic";
import type { LowpDType } from "../ops/linear";
import { keep } from "../scope";
import { numelOf, type Shape, Tensor } from "../tensor";

export interface ParamSpec {
  name: string;
  shape: Shape;
  /** false for norms and biases (GPT-NeoX's no-decay group). */
  decay: boolean;
}

export interface ParamRange {
  /** Element offset in the flat buffers. */
  offset: number;
  numel: number;
}

/** The working-copy option: a 16-bit dtype, true for bf16 (the original meaning), false or absent for none. */
export type LowpOption = boolean | LowpDType;

export class FlatParams {
  readonly data: Tensor;
  readonly grads: Tensor;
  readonly lowp: Tensor | null;
  /** The working copy's dtype, or null without one. */
  readonly lowpDtype: LowpDType | null;
  readonly params = new Map<string, Tensor>();
  readonly lowpParams = new Map<string, Tensor>();
  readonly ranges = new Map<string, ParamRange>();
  /** The decay and no-decay groups as element ranges. */
  readonly decayRange: ParamRange;
  readonly noDecayRange: ParamRange;

  /**
   * `over`: existing contiguous f32 buffers of the total size to lay the parameters (`data`) or
   * their gradients (`grads`) over instead of new ones (ZeRO's shard as a view of the full flat
   * buffers); their contents are kept.
   */
  constructor(
    specs: readonly ParamSpec[],
    opts: { lowp?: LowpOption; over?: { data?: Tensor; grads?: Tensor } } = {},
  ) {
    const ordered = [...specs.filter((s) => s.decay), ...specs.filter((s) => !s.decay)];
    const total = ordered.reduce((n, s) => n + numelOf(s.shape), 0);
    const adopt = (t: Tensor, what: string): Tensor => {
      if (t.dtype !== "f32" || !t.isContiguous || t.numel !== total)
        throw new Error(
          `FlatParams: the ${what} buffer must be a contiguous f32 tensor of ${total} elements, got ${t}`,
        );
      return keep(t.alias());
    };
    this.data = opts.over?.data ? adopt(opts.over.data, "data") : keep(Tensor.empty([total]));
    this.grads = opts.over?.grads ? adopt(opts.over.grads, "grads") : keep(fill(Tensor.empty([total]), 0));
    const lowp = opts.lowp ?? false;
    if (lowp !== true && lowp !== false && lowp !== "bf16" && lowp !== "f16")
      throw new Error(`FlatParams: lowp must be true, false, "bf16" or "f16", got ${JSON.stringify(lowp)}`);
    this.lowpDtype = lowp === true ? "bf16" : lowp === false ? null : lowp;
    this.lowp = this.lowpDtype ? keep(Tensor.empty([total], { dtype: this.lowpDtype })) : null;
    let offset = 0;
    let decayEnd = 0;
    for (const spec of ordered) {
      if (this.params.has(spec.name))
        throw new Error(`FlatParams: parameter "${spec.name}" is declared twice`);
      const n = numelOf(spec.shape);
      const p = keep(
        new Tensor(this.data.storage, spec.shape, "f32", undefined, this.data.offset + offset),
      ).requireGrad();
      p.grad = keep(new Tensor(this.grads.storage, spec.shape, "f32", undefined, this.grads.offset + offset));
      this.params.set(spec.name, p);
      if (this.lowp)
        this.lowpParams.set(
          spec.name,
          keep(new Tensor(this.lowp.storage, spec.shape, this.lowp.dtype, undefined, offset)),
        );
      this.ranges.set(spec.name, { offset, numel: n });
      offset += n;
      if (spec.decay) decayEnd = offset;
    }
    this.decayRange = { offset: 0, numel: decayEnd };
    this.noDecayRange = { offset: decayEnd, numel: total - decayEnd };
  }

  get numel(): number {
    return this.data.numel;
  }

  get(name: string): Tensor {
    const p = this.params.get(name);
    if (!p)
      throw new Error(`FlatParams: no parameter "${name}" (have ${[...this.params.keys()].join(", ")})`);
    return p;
  }

  /** The 16-bit working copy of a parameter, or null without one. */
  getLowp(name: string): Tensor | null {
    return this.lowpParams.get(name) ?? null;
  }

  zeroGrad(): void {
    fill(this.grads, 0);
  }

  /**
   * Refresh the working copy from the fp32 master weights (after each optimizer step): round to
   * nearest even; an fp16 copy of a weight past 65504 holds Inf (the loss scaler then skips steps).
   */
  refreshLowp(): void {
    if (this.lowp?.dtype === "f16")
      k.castF32ToF16(this.data.backend, { out: this.lowp, inp: this.data, n: this.data.numel });
    else if (this.lowp) castInto(this.lowp, this.data);
  }

  dispose(): void {
    for (const t of [...this.params.values(), ...this.lowpParams.values()]) {
      t.grad?.dispose();
      t.dispose();
    }
    this.data.dispose();
    this.grads.dispose();
    this.lowp?.dispose();
  }
}
