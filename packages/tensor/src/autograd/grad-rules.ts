// Every gradient rule of the tape, one entry per op (tinygrad-style single table). A rule gets
// the tape entry (inputs, saved tensors, attributes) and the gradient of each output, and returns
// the gradient of each input (null where an input takes none, or where the rule already added it
// to the input's own .grad). Rules run under a scope: what they allocate and do not return is freed.

import type { DType } from "../dtype";
import { k } from "../kernels";
import type { Scalar } from "../kernels/kernel";
import { causalSelfAttentionBackward, type ResolvedShape } from "../ops/attention";
import { cast, copyInto, dense, fill, scale } from "../ops/basic";
import { gemm, toBf16, toLowp } from "../ops/linear";
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
    const { n, k: K, m } = e.attrs as { n: number; k: number; m: number };
    const dy = dense(d!);
    // dy rounded once to the working copy's dtype (bf16 or f16), as autocast feeds both GEMMs.
    const dyIn = wc.dtype === "bf16" || wc.dtype === "f16" ? toLowp(dy, wc.dtype) : dy;
    let dx: T | null = null;
    if (x?.requiresGrad) {
      dx = Tensor.empty(x.shape, { device: x.device });
      gemm(false, false, n, K, m, 1, dyIn, m, wc, K, 0, dx, K);
    }
    let dw: T | null = null;
    if (w?.requiresGrad) {
      const g = w.grad;
      const direct = w.producer === null && g !== null && g.isContiguous && g.dtype === "f32";
      const target = direct ? g! : Tensor.empty(w.shape, { device: w.device });
      gemm(true, false, m, K, n, 1, dyIn, m, xc, K, direct ? 1 : 0, target, K);
      dw = direct ? null : target;
    }
    const db = paramGrad(b);
    if (db) k.biasAddBackward(dy.backend, { dbias: db.target, dout: dy, N: n, C: m });
    return [dx, dw, routed(db)];
  },

  // out = x + bias over rows: dx = dy, dbias += Σ_rows dy.
  biasAdd: (e, [d]) => {
    const [, b] = e.inputs;
    const { n, c } = e.attrs as { n: number; c: number };
    const dy = dense(d!);
    const db = paramGrad(b);
    if (db) k.biasAddBackward(dy.backend, { dbias: db.target, dout: dy, N: n, C: c });
    return [d!, routed(db)];
  },

  layerNorm: (e, [d]) => {
    const [x, w, b] = e.inputs;
    const [xc, wsaved, mean, rstd] = e.saved as [T, T, T, T];
    const { n, c, affine } = e.attrs as { n: number; c: number; affine: boolean };
    const dx = Tensor.empty(x!.shape, { device: x!.device });
    const dw = paramGrad(w);
    const db = paramGrad(b);
    k.layernormBackward(xc.backend, {
      dinp: dx,
      dweight: dw?.target ?? null,
      dbias: db?.target ?? null,
      dout: dense(d!),
      inp: xc,
      weight: affine ? wsaved : null,
      mean,
      rstd,
      N: n,
      C: c,
    });
    return [dx, routed(dw), routed(db)];
  },

  // bf16 activations: the gradient is rounded to bf16 for the bf16 kernel (as linear's bf16 GEMMs
  // take dy), and dx comes back in fp32 like every tape gradient; dweight stays fp32.
  rmsNorm: (e, [d]) => {
    const [x, w] = e.inputs;
    const [xc, wsaved, rstd] = e.saved as [T, T, T];
    const { n, c, affine } = e.attrs as { n: number; c: number; affine: boolean };
    const dw = paramGrad(w);
    const args = { dweight: dw?.target ?? null, inp: xc, weight: affine ? wsaved : null, rstd, N: n, C: c };
    let dx: T;
    if (xc.dtype === "bf16") {
      const dxLow = Tensor.empty(x!.shape, { dtype: "bf16", device: x!.device });
      const dout = d!.dtype === "bf16" ? dense(d!) : toBf16(d!);
      k.rmsnormBackwardBf16(xc.backend, { dinp: dxLow, dout, ...args });
      dx = cast(dxLow, "f32");
    } else {
      dx = Tensor.empty(x!.shape, { device: x!.device });
      k.rmsnormBackward(xc.backend, {
        dinp: dx,
        dout: dense(d!.dtype === "f32" ? d! : cast(d!, "f32")),
        ...args,
      });
    }
    return [dx, routed(dw)];
  },

  gelu: (e, [d]) => {
    const [xc] = e.saved as [T];
    const dx = Tensor.empty(xc.shape, { device: xc.device });
    k.geluBackward(xc.backend, {
      dinp: dx,
      dout: dense(d!),
      inp: xc,
      n: dx.numel,
      tanhApprox: attr(e, "tanh"),
    });
    return [dx];
  },

  relu: (e, [d]) => {
    const [xc] = e.saved as [T];
    const dx = Tensor.empty(xc.shape, { device: xc.device });
    k.reluBackward(xc.backend, { dinp: dx, dout: dense(d!), inp: xc, n: dx.numel });
    return [dx];
  },

  silu: (e, [d]) => {
    const [xc] = e.saved as [T];
    const dx = Tensor.empty(xc.shape, { device: xc.device });
    k.siluBackward(xc.backend, { dinp: dx, dout: dense(d!), inp: xc, n: dx.numel });
    return [dx];
  },

  glu: (e, [d]) => {
    const [xc] = e.saved as [T];
    const { n, c, kind } = e.attrs as { n: number; c: number; kind: number };
    const dx = Tensor.empty(xc.shape, { device: xc.device });
    k.gluBackward(xc.backend, { dinp: dx, dout: dense(d!), inp: xc, N: n, C: c, kind });
    return [dx];
  },

  // The forward's mask, regenerated from the same seed and offset (Scalars stay Scalars, so a plan
  // re-reads them in the backward too).
  dropout: (e, [d]) => {
    const { p, seed, offset } = e.attrs as { p: number; seed: number | Scalar; offset: number | Scalar };
    const dx = Tensor.empty(d!.shape, { device: d!.device });
    k.dropoutBackward(d!.backend, { dinp: dx, dout: dense(d!), n: dx.numel, p, seed, offset });
    return [dx];
  },

  embedding: (e, [d]) => {
    const [w] = e.inputs;
    const [ids] = e.saved as [T];
    const { n, c, v } = e.attrs as { n: number; c: number; v: number };
    const dw = paramGrad(w);
    if (dw) k.embeddingBackward(ids.backend, { dweight: dw.target, dout: dense(d!), ids, N: n, C: c, V: v });
    return [routed(dw), null];
  },

  // The loss gradient is read on the host: 1 from backward(loss), fixed when a step is planned.
  crossEntropy: (e, [d]) => {
    const [logits, lse, targets, mask] = e.saved as [T, T, T, T | undefined];
    const { n, v } = e.attrs as { n: number; v: number };
    const dlogits = Tensor.empty(logits.shape, { device: logits.device });
    k.crossEntropyBackward(logits.backend, {
      dlogits,
      logits,
      lse,
      targets,
      mask: mask ?? null,
      dloss: d!, // the upstream gradient stays in device memory (1, or the fp16 loss scale)
      N: n,
      V: v,
    });
    return [dlogits, null, null];
  },

  // The forward already wrote dlogits (scaled by the seed the caller promised to pass as d).
  crossEntropyFused: (e) => {
    const [dlogits] = e.saved as [T];
    return [dlogits.alias(), null, null];
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
    const attrs = e.attrs as unknown as ResolvedShape & { rotary: boolean; alibi: boolean };
    return [causalSelfAttentionBackward(d!, e.saved, attrs)];
  },
};
