// fp16 mixed precision (GPT-NeoX `precision: fp16`, Pythia's): a model built with lowp "f16" keeps an
// fp16 working copy of its weights and runs every GEMM on fp16 operands with fp32 accumulation. Its
// logits stay within fp16 rounding of the fp32 model's, closer than the bf16 model's (fp16 keeps 3
// more mantissa bits), and it trains when the copy is refreshed after each AdamW update.
import { AdamW, backward, scope } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { GptNeoXModel } from "../src/index";
import { TINY_NEOX, tinyConfig, tokens } from "./helpers";

function logitsOf(lowp: false | "bf16" | "f16"): Float32Array {
  const model = GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX), { lowp });
  const x = tokens(2, 8, 50);
  try {
    return scope(() => model.forward(x).toFloat32Array());
  } finally {
    x.dispose();
    model.dispose();
  }
}

describe("fp16 working copy", () => {
  it("gives logits within fp16 rounding of the fp32 model, closer than bf16", () => {
    const f32 = logitsOf(false);
    const f16 = logitsOf("f16");
    const bf16 = logitsOf("bf16");
    let scale = 0;
    for (const v of f32) scale = Math.max(scale, Math.abs(v));
    const err = (a: Float32Array) => {
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - f32[i]!));
      return m / scale;
    };
    // Each GEMM rounds both operands to 11 significant bits (relative 2^-11 each); a few layers of
    // them compound to a few times that, far below 1%.
    expect(err(f16)).toBeLessThan(16 * 2 ** -11);
    expect(err(f16)).toBeGreaterThan(0); // really ran on the fp16 copy
    expect(err(f16)).toBeLessThan(err(bf16));
  });

  it("trains: the loss falls below half its start in 40 AdamW steps, refreshing the copy each step", () => {
    const model = GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX), { lowp: "f16" });
    const flat = model.registry.flat;
    expect(flat.lowp?.dtype).toBe("f16");
    const opt = new AdamW(flat, { lr: 1e-2, weightDecay: 0.01 });
    const x = tokens(2, 8, 50);
    const y = tokens(2, 8, 50, 1);
    const losses: number[] = [];
    try {
      for (let t = 1; t <= 40; t++) {
        opt.scalars.set({ step: t });
        losses.push(
          scope(() => {
            flat.zeroGrad();
            const loss = model.loss(x, y);
            backward(loss);
            opt.prepareGrads();
            opt.update();
            flat.refreshLowp(); // the GEMMs read the fp16 copy, not the fp32 masters
            return loss.item();
          }),
        );
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses.at(-1)!).toBeLessThan(losses[0]! / 2);
    } finally {
      opt.dispose();
      model.dispose();
      x.dispose();
      y.dispose();
    }
  });
});
