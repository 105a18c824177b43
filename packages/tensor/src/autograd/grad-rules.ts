// Every gradient rule of the tape, one entry per op (tinygrad-style single table). A rule gets
// the tape entry (inputs, saved tensors, attributes) and the gradient of each output, and returns
// the gradient of each input (null where an input takes none, or where the rule already added it
// to the input's own .grad). Rules run under a scope: what they allocate and do not return is freed.

import type { DType } from "../dtype";
import { launch } from "../launch";
import { type AttentionShape, causalSelfAttentionBackward } from "../ops/attention";
import { cast, copyInto, dense, fill, scale } from "../ops/basic";
import { gemm, toBf16 } from "../ops/linear";
import { type Tensor as T, Tensor } from "../tensor";
import { backwardMany } from "./backward";
import { Tape, type TapeEntry, withTape } from "./tape";

export type GradRule = (entry: TapeEntry, douts: T[]) => (T | null)[];

const attr = <V>(entry: TapeEntry, key: string): V => entry.attrs[key] as V;

/**
 * Where a parameter-gradient kernel that accumulates (+=) should write: straight into the leaf's
 * own .grad when it has one (a view of the flat gradient buffer), else into fresh zeros that are
 * routed like any other gradient. `direct` says which.
 */
function paramGrad(input: T | null | undefined): { target: T; direct: boolean } | null {
  if (!input?.requiresGrad) return null;
  const g = input.grad;
  if (input.producer === null && g !== null && g.isContiguous && g.dtype === "f32")
    return { target: g, direct: true };
  return { target: fill(Tensor.empty(input.shape, { device: input.device }), 0), direct: false };
}

const routed = (p: { target: T; direct: boolean } | null): T | null => (p && !p.direct ? p.target : null);

export const GRAD_RULES: Record<string, GradRule> = {
  // ---- views and copies ----------------------------------------------------------------------
  reshape: (e, [d]) => [dense(d!).view(...attr<number[]>(e, "shape"))],
  transpose: (e, [d]) => [d!.transpose(attr(e, "a"), attr(e, "b"))],
  narrow: (e, [d]) => {
    const full = fill(Tensor.empty(attr<number[]>(e, "shape")), 0);
    const region = full.narrow(attr(e, "dim"), attr(e, "start"), d!.size(attr(e, "dim")));
    if (!region.isContiguous) throw new Error("narrow: gradient of a non-contiguous narrow is not supported");
    copyInto(region, d!);
    return [full];
  },
  contiguous: (_e, [d]) => [d!],
  // Gradients are kept in fp32 whatever the forward dtype (autocast semantics).
  cast: (e, [d]) => [d!.dtype === attr<DType>(e, "from") ? d! : cast(d!, attr<DType>(e, "from"))],

  // ---- arithmetic ------------------------------------------------------------------------------
  add: (_e, [d]) => [d!, d!],
  scale: (e, [d]) => [scale(d!, attr(e, "alpha"))],

  // ---- layers ----------------------------------------------------------------------------------
  // y = x·Wᵀ + b:  dx = dy·W,  dW += dyᵀ·x,  db += Σ_rows dy.
  linear: (e, [d]) => {
    const [x, w, b] = e.inputs;
    const [xc, wc] = e.saved as [T, T];
    const { n, k, m } = e.attrs as { n: number; k: number; m: number };
    const dy = dense(d!);
    const lowp = wc.dtype === "bf16";
    const dyIn = lowp ? toBf16(dy) : dy;
    let dx: T | null = null;
    if (x?.requiresGrad) {
      dx = Tensor.empty(x.shape, { device: x.device });
      gemm(false, false, n, k, m, 1, dyIn, m, wc, k, 0, dx, k);
    }
    let dw: T | null = null;
    if (w?.requiresGrad) {
      const g = w.grad;
      const direct = w.producer === null && g !== null && g.isContiguous && g.dtype === "f32";
      const target = direct ? g! : Tensor.empty(w.shape, { device: w.device });
      gemm(true, false, m, k, n, 1, dyIn, m, xc, k, direct ? 1 : 0, target, k);
      dw = direct ? null : target;
    }
    const db = paramGrad(b);
    if (db) launch(dy.backend, "biasAddBackward", [db.target, dy, n, m]);
    return [dx, dw, routed(db)];
  },

  layerNorm: (e, [d]) => {
    const [x, w, b] = e.inputs;
    const [xc, wsaved, mean, rstd] = e.saved as [T, T, T, T];
    const { n, c, affine } = e.attrs as { n: number; c: number; affine: boolean };
    const dx = Tensor.empty(x!.shape, { device: x!.device });
    const dw = paramGrad(w);
    const db = paramGrad(b);
    const weight = affine ? wsaved : 0;
    launch(xc.backend, "layernormBackward", [
      dx,
      dw?.target ?? 0,
      db?.target ?? 0,
      dense(d!),
      xc,
      weight,
      mean,
      rstd,
      n,
      c,
    ]);
    return [dx, routed(dw), routed(db)];
  },

  gelu: (e, [d]) => {
    const [xc] = e.saved as [T];
    const dx = Tensor.empty(xc.shape, { device: xc.device });
    launch(xc.backend, "geluBackward", [dx, dense(d!), xc, dx.numel, attr<boolean>(e, "tanh")]);
    return [dx];
  },

  embedding: (e, [d]) => {
    const [w] = e.inputs;
    const [ids] = e.saved as [T];
    const { n, c, v } = e.attrs as { n: number; c: number; v: number };
    const dw = paramGrad(w);
    if (dw) launch(ids.backend, "embeddingBackward", [dw.target, dense(d!), ids, n, c, v]);
    return [routed(dw), null];
  },

  // The loss gradient is read on the host: 1 from backward(loss), fixed when a step is planned.
  crossEntropy: (e, [d]) => {
    const [logits, lse, targets, mask] = e.saved as [T, T, T, T | undefined];
    const { n, v } = e.attrs as { n: number; v: number };
    const dlogits = Tensor.empty(logits.shape, { device: logits.device });
    launch(logits.backend, "crossEntropyBackward", [
      dlogits,
      logits,
      lse,
      targets,
      mask ?? 0,
      d!.item(),
      n,
      v,
    ]);
    return [dlogits, null, null];
  },

  // Recompute the body with gradients on a private tape, then backpropagate through it: the
  // inputs' gradients are returned, parameters used inside accumulate into their own .grad.
  checkpoint: (e, [d]) => {
    const fn = attr<(...xs: T[]) => T>(e, "fn");
    const xs = e.saved.map((s, i) => {
      const x = s.alias();
      x.requiresGrad = e.inputs[i]?.requiresGrad ?? false;
      x.producer = null;
      return x;
    });
    const tape = new Tape();
    const y = withTape(tape, () => fn(...xs));
    try {
      backwardMany([y], [d!], tape);
      return xs.map((x) => x.grad);
    } finally {
      y.dispose();
      for (const x of xs) x.dispose();
    }
  },

  attention: (e, [d]) => {
    const [rotated, src, out, lse, cos, sin] = e.saved as [T, T, T, T, T | undefined, T | undefined];
    const tables = cos && sin ? { cos, sin } : null;
    return [
      causalSelfAttentionBackward(d!, rotated, src, out, lse, tables, e.attrs as unknown as AttentionShape),
    ];
  },
};
