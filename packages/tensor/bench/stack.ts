// A GPT-NeoX-style decoder assembled directly from @neox/tensor ops: the engine's proof before the
// models package exists (not a model library). Pre-LN, parallel residual with two untied norms,
// fused QKV in GPT-NeoX's per-head interleaved layout, rotary on the first rotary_pct of each
// head, exact GELU MLP (4·C), untied output, fused cross-entropy, AdamW over flat buffers.
// B batch, T time, C channels, NH heads, HS head size, V vocabulary, L layers.

import {
  AdamW,
  add,
  backward,
  causalSelfAttention,
  crossEntropy,
  embedding,
  FlatParams,
  gelu,
  layerNorm,
  linear,
  type ParamSpec,
  type RotaryTables,
  rotaryTables,
  type Tensor,
} from "../src/index";

export interface StackConfig {
  layers: number;
  d: number;
  heads: number;
  seq: number;
  batch: number;
  vocab: number;
  rotaryPct: number;
  precision: "fp32" | "bf16";
  lr?: number;
}

/** Parameter names and shapes as GPT-NeoX names them (megatron/model, TP 1). */
export function paramSpecs(cfg: StackConfig): ParamSpec[] {
  const C = cfg.d;
  const specs: ParamSpec[] = [{ name: "embed.weight", shape: [cfg.vocab, C], decay: true }];
  for (let l = 0; l < cfg.layers; l++) {
    const p = `layers.${l}.`;
    specs.push(
      { name: `${p}input_layernorm.weight`, shape: [C], decay: false },
      { name: `${p}input_layernorm.bias`, shape: [C], decay: false },
      { name: `${p}attention.query_key_value.weight`, shape: [3 * C, C], decay: true },
      { name: `${p}attention.query_key_value.bias`, shape: [3 * C], decay: false },
      { name: `${p}attention.dense.weight`, shape: [C, C], decay: true },
      { name: `${p}attention.dense.bias`, shape: [C], decay: false },
      { name: `${p}post_attention_layernorm.weight`, shape: [C], decay: false },
      { name: `${p}post_attention_layernorm.bias`, shape: [C], decay: false },
      { name: `${p}mlp.dense_h_to_4h.weight`, shape: [4 * C, C], decay: true },
      { name: `${p}mlp.dense_h_to_4h.bias`, shape: [4 * C], decay: false },
      { name: `${p}mlp.dense_4h_to_h.weight`, shape: [C, 4 * C], decay: true },
      { name: `${p}mlp.dense_4h_to_h.bias`, shape: [C], decay: false },
    );
  }
  specs.push(
    { name: "final_layernorm.weight", shape: [C], decay: false },
    { name: "final_layernorm.bias", shape: [C], decay: false },
    { name: "output.weight", shape: [cfg.vocab, C], decay: true },
  );
  return specs;
}

export class EngineStack {
  readonly params: FlatParams;
  readonly opt: AdamW;
  readonly tables: RotaryTables | null;
  readonly rotDim: number;

  constructor(readonly cfg: StackConfig) {
    this.params = new FlatParams(paramSpecs(cfg), { lowp: cfg.precision === "bf16" });
    this.opt = new AdamW(this.params, { lr: cfg.lr ?? 1e-3, weightDecay: 0.1 });
    const hs = cfg.d / cfg.heads;
    this.rotDim = Math.floor(hs * cfg.rotaryPct);
    this.tables = this.rotDim > 0 ? rotaryTables(cfg.seq, this.rotDim) : null;
  }

  private lin(x: Tensor, name: string, bias = true): Tensor {
    const p = this.params;
    return linear(x, p.get(`${name}.weight`), bias ? p.get(`${name}.bias`) : null, {
      weightLowp: p.getLowp(`${name}.weight`),
    });
  }

  private norm(x: Tensor, name: string): Tensor {
    return layerNorm(x, this.params.get(`${name}.weight`), this.params.get(`${name}.bias`), 1e-5);
  }

  /** tokens, targets: (B·T) i32. Returns the mean loss [1]. */
  forward(tokens: Tensor, targets: Tensor): Tensor {
    const { batch: B, seq: T, heads: NH, d: C } = this.cfg;
    const shape = { B, T, NH, HS: C / NH, rotDim: this.rotDim };
    let x = embedding(this.params.get("embed.weight"), tokens); // (B·T, C)
    for (let l = 0; l < this.cfg.layers; l++) {
      const p = `layers.${l}.`;
      const qkv = this.lin(this.norm(x, `${p}input_layernorm`), `${p}attention.query_key_value`); // (B·T, 3C)
      const attn = this.lin(causalSelfAttention(qkv, shape, { rotary: this.tables }), `${p}attention.dense`); // (B·T, C)
      const h = gelu(this.lin(this.norm(x, `${p}post_attention_layernorm`), `${p}mlp.dense_h_to_4h`)); // (B·T, 4C)
      const mlp = this.lin(h, `${p}mlp.dense_4h_to_h`); // (B·T, C)
      x = add(add(x, attn), mlp); // parallel residual: x + attn(ln1(x)) + mlp(ln2(x))
    }
    const logits = this.lin(this.norm(x, "final_layernorm"), "output", false); // (B·T, V)
    return crossEntropy(logits, targets);
  }

  /** One full training step (zero grads, forward, backward, AdamW update); returns the loss. */
  trainStep(tokens: Tensor, targets: Tensor): Tensor {
    this.params.zeroGrad();
    const loss = this.forward(tokens, targets);
    backward(loss);
    this.opt.update();
    return loss;
  }

  dispose(): void {
    this.opt.dispose();
    this.params.dispose();
    this.tables?.cos.dispose();
    this.tables?.sin.dispose();
  }
}
