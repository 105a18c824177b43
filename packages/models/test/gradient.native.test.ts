// Finite differences of the whole tiny model's loss against the tape's gradient.
// The loss is computed in fp32, so single-element differences are dominated by round-off (a loss of
// ~4 carries ~1e-6 of error; over 2ε = 2e-3 that is ~1e-3, as large as many single gradients). So
// each parameter tensor is checked along one unit direction u, its own gradient g/|g|:
//   (L(θ + εu) - L(θ - εu)) / 2ε  ≈  <∇L, u>  =  |g|   (the largest directional derivative),
// which a wrong, permuted, mis-scaled or missing gradient fails. With ε = 1e-2 the truncation error
// ε²/6·L''' is ~1e-5·|L'''| and the round-off ~1e-6/2e-2 = 5e-5, so the check allows 1% of |g| + 1e-4.
// Measured (AMD EPYC, fp32): relative errors 1e-5 .. 5e-4, 2.4e-3 for the GQA QKV weight (|g| 3.4).
import { backward, noGrad, scope } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { GptNeoXModel } from "../src/index";
import { TINY_GPT3, TINY_LLAMA, TINY_NEOX, tinyConfig, tokens } from "./helpers";

const EPS = 1e-2;
// Larger weights than GPT-NeoX's inits make the gradients (and the signal) larger than round-off.
const BIG_INIT = "init_method: normal\noutput_layer_init_method: normal\ninit_method_std: 0.3\n";

const CASES: { name: string; yaml: string; params: string[] }[] = [
  {
    name: "Pythia-shaped (rotary, parallel residual, untied)",
    yaml: TINY_NEOX,
    params: [
      "word_embeddings.weight",
      "layers.0.input_layernorm.weight",
      "layers.0.attention.query_key_value.weight",
      "layers.0.attention.query_key_value.bias",
      "layers.1.attention.dense.weight",
      "layers.0.post_attention_layernorm.bias",
      "layers.0.mlp.linear1.weight",
      "layers.1.mlp.linear2.bias",
      "norm.weight",
      "final_linear.weight",
    ],
  },
  {
    name: "GPT-3 shaped (learned positions, sequential, tied, tanh GELU)",
    yaml: TINY_GPT3,
    params: [
      "word_embeddings.weight", // used twice: input and output
      "position_embeddings.weight",
      "layers.1.attention.query_key_value.weight",
      "layers.0.mlp.linear2.weight",
      "norm.bias",
    ],
  },
  {
    name: "Llama-shaped with GQA and a sliding window (RMSNorm, SwiGLU, blocked QKV)",
    yaml: `${TINY_LLAMA}sliding_window_width: 3\n`,
    params: [
      "layers.0.input_layernorm.scale",
      "layers.0.attention.query_key_value.weight",
      "layers.1.mlp.linear1.weight",
      "layers.1.mlp.linear2.weight",
      "norm.scale",
    ],
  },
  {
    name: "ALiBi with one shared norm (gpt_j_tied)",
    yaml: `${TINY_NEOX}pos_emb: alibi\ngpt_j_tied: true\nactivation: geglu\nintermediate_size: 96\n`,
    params: [
      "layers.0.input_layernorm.weight",
      "layers.1.attention.query_key_value.weight",
      "layers.0.mlp.linear1.weight",
    ],
  },
  {
    name: "non-parametric LayerNorm, sequential residual",
    yaml: `${TINY_NEOX}norm: non_parametric_layernorm\ngpt_j_residual: false\n`,
    params: ["word_embeddings.weight", "layers.0.attention.dense.bias", "layers.1.mlp.linear1.weight"],
  },
];

describe("finite-difference gradients of the model's loss", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const model = GptNeoXModel.fromConfig(tinyConfig(c.yaml + BIG_INIT));
      const x = tokens(2, 8, 50);
      const y = tokens(2, 8, 50, 1);
      const flat = model.registry.flat;
      const lossAt = (): number => noGrad(() => scope(() => model.loss(x, y).item()));
      try {
        scope(() => {
          flat.zeroGrad();
          backward(model.loss(x, y));
        });
        const theta = flat.data.toFloat32Array();
        const grads = flat.grads.toFloat32Array();
        for (const name of c.params) {
          const { offset, numel } = flat.ranges.get(name)!;
          const g = grads.subarray(offset, offset + numel);
          const norm = Math.hypot(...g);
          expect(norm, `${name}: gradient is zero`).toBeGreaterThan(1e-3);
          const shifted = (sign: number): number => {
            const t = theta.slice();
            for (let i = 0; i < numel; i++) t[offset + i]! += (sign * EPS * g[i]!) / norm;
            flat.data.write(t);
            return lossAt();
          };
          const fd = (shifted(1) - shifted(-1)) / (2 * EPS);
          expect(Math.abs(fd - norm), `${name}: fd ${fd} vs |g| ${norm}`).toBeLessThan(0.01 * norm + 1e-4);
        }
        flat.data.write(theta);
      } finally {
        x.dispose();
        y.dispose();
        model.dispose();
      }
    });
  }
});
