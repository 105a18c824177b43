// The GPT-NeoX decoder (megatron/model/gpt2_model.py at TP 1, neox-spec Appendix A), written for one
// device. Everything a config varies is fixed here, when the model is built: the block class
// (sequential, parallel with two norms or one), the norm, the MLP activation, the input stage
// (learned positions or not), the attention's rotary tables / ALiBi slopes / window, tied or
// untied output. `forward` has no config branches. Llama and Mistral build the same decoder from
// their configs (../llama, ../mistral).
// B batch, T time, C channels, V padded vocabulary, L layers, NH/NKV/HS heads, kv heads, head size.
import type { ResolvedConfig } from "@neox/config";
import {
  alibiSlopes,
  type CacheSegment,
  checkpoint,
  crossEntropy,
  crossEntropyTrain,
  embedding,
  isGradEnabled,
  KvCache,
  type KvCacheDtype,
  keep,
  noGrad,
  type RotaryTables,
  rotaryTables,
  Tensor,
} from "@neox/tensor";
import { initFor } from "../init";
import { Attention } from "../layers/attention";
import {
  type Block,
  type BlockClass,
  ParallelBlock,
  SequentialBlock,
  TiedParallelBlock,
} from "../layers/block";
import { type Dropout, DropoutState } from "../layers/dropout";
import {
  type InputEmbedding,
  WordAndPositionEmbedding,
  WordAndSinusoidalEmbedding,
  WordEmbedding,
} from "../layers/embedding";
import { type OutputHead, TiedHead, UntiedHead } from "../layers/head";
import { Mlp } from "../layers/mlp";
import { LayerNorm, NonParametricLayerNorm, type Norm, type NormFactory, RMSNorm } from "../layers/norm";
import { ParamCollector, ParamRegistry } from "../params";
import { type ModelSpec, modelSpec, type NormSpec, type Residual } from "../spec";

const BLOCKS: Record<Residual, BlockClass> = {
  sequential: SequentialBlock,
  parallel: ParallelBlock,
  parallel_tied: TiedParallelBlock,
};

export interface BuildOptions {
  /** Overrides the config's `seed` for the initial weights. */
  seed?: number;
  /**
   * Keep a 16-bit working copy of the weights and run the GEMMs on it (fp32 accumulation): "bf16"
   * (or true) for GPT-NeoX's bf16 precision, "f16" for its fp16 precision (the trainer's dynamic
   * loss scaler handles the Inf that fp16 overflow gives).
   */
  lowp?: boolean | "bf16" | "f16";
}

export class GptNeoXModel {
  readonly registry: ParamRegistry;
  readonly dropout = new DropoutState();
  readonly embed: InputEmbedding;
  readonly embedDropout: Dropout;
  readonly layers: Block[] = [];
  readonly norm: Norm;
  readonly head: OutputHead;
  private readonly rotary: RotaryTables | null;
  private readonly alibi: Tensor | null;
  private readonly positionCache = new Map<string, Tensor>();

  /** Builds from a resolved config; throws ModelConfigError naming a key the models cannot build. */
  static fromConfig(r: ResolvedConfig, opts: BuildOptions = {}): GptNeoXModel {
    return new GptNeoXModel(modelSpec(r), opts);
  }

  constructor(
    readonly spec: ModelSpec,
    opts: BuildOptions = {},
  ) {
    const s = spec;
    const init = initFor(s.initMethod, s.initStd, s.L, s.C);
    const outputInit = initFor(s.outputInitMethod, s.initStd, s.L, s.C);
    this.rotary =
      s.rotDim > 0
        ? keepTables(rotaryTables(Math.max(s.maxPositions, s.seqLength), s.rotDim, s.rotaryBase))
        : null;
    this.alibi = s.positions === "alibi" ? keep(alibiSlopes(s.NH)) : null;

    const pc = new ParamCollector();
    this.embed =
      s.positions === "learned"
        ? new WordAndPositionEmbedding(pc, s.V, s.maxPositions, s.C, init)
        : s.positions === "sinusoidal"
          ? new WordAndSinusoidalEmbedding(pc, s.V, Math.max(s.maxPositions, s.seqLength), s.C, init)
          : new WordEmbedding(pc, s.V, s.C, init);
    this.embedDropout = this.dropout.site(s.hiddenDropout);
    const norm = normFactory(s.norm);
    const dims = {
      NH: s.NH,
      NKV: s.NKV,
      HS: s.HS,
      rotDim: s.rotDim,
      ...(s.window !== undefined ? { window: s.window } : {}),
    };
    const positions = { rotary: this.rotary, alibi: this.alibi };
    const parts = {
      norm,
      attention: (p: ParamCollector) =>
        new Attention(p, s.C, dims, positions, {
          bias: s.attnBias,
          init,
          outputInit,
          dropout: this.dropout.site(s.attentionDropout),
        }),
      mlp: (p: ParamCollector) =>
        new Mlp(p, s.C, { linear1Out: s.linear1Out, linear2In: s.linear2In }, s.activation, {
          bias: s.mlpBias,
          init,
          outputInit,
        }),
      hiddenDropout: s.hiddenDropout,
    };
    const Block = BLOCKS[s.residual];
    for (let i = 0; i < s.L; i++)
      this.layers.push(new Block(pc.child(`layers.${i}`), s.C, parts, this.dropout));
    this.norm = norm(pc.child("norm"), s.C);
    this.head = s.tiedOutput ? new TiedHead(this.embed.word.weight) : new UntiedHead(pc, s.V, s.C, init);

    this.registry = new ParamRegistry(pc.params, { lowp: opts.lowp ?? false });
    this.registry.initialize(opts.seed ?? s.seed);
  }

  /** tokens (B, T) i32 -> logits (B·T, V). */
  forward(tokens: Tensor): Tensor {
    const [B, T] = batchShape(tokens);
    let x = this.embedDropout.forward(this.embed.forward(tokens, this.positions(B, T))); // (B·T, C)
    const chunk = this.spec.checkpointLayers;
    if (chunk === 0 || !isGradEnabled()) for (const layer of this.layers) x = layer.forward(x, B, T);
    else {
      // Activation checkpointing (checkpoint_activations): each chunk of checkpoint_num_layers
      // layers keeps only its input; the backward runs the chunk's forward again (same dropout
      // masks: same seeds and offsets) before its gradient.
      for (let i = 0; i < this.layers.length; i += chunk) {
        const run = this.layers.slice(i, i + chunk);
        x = checkpoint(
          (h) => {
            for (const layer of run) h = layer.forward(h, B, T);
            return h;
          },
          [x],
        );
      }
    }
    return this.head.forward(this.norm.forward(x)); // (B·T, V)
  }

  /**
   * Mean cross-entropy of labels (B, T) i32 (negative: ignored) under an optional loss mask (B, T)
   * f32. With `seed` (training: the one-element gradient the caller then passes to backward) the
   * logits' gradient is computed in the loss's own pass, over the logits' buffer.
   */
  loss(tokens: Tensor, labels: Tensor, mask: Tensor | null = null, seed: Tensor | null = null): Tensor {
    const logits = this.forward(tokens);
    return seed ? crossEntropyTrain(logits, labels, mask, seed) : crossEntropy(logits, labels, mask);
  }

  /**
   * One key/value cache per layer for B sequences of up to maxT tokens. The caches are bf16 when
   * the GEMMs run on a bf16 working copy (as PyTorch's bf16 inference keeps its cache: half the
   * bytes a decode step reads), else f32; `dtype` overrides that.
   */
  newCaches(B: number, maxT: number, dtype?: KvCacheDtype): KvCache[] {
    const d = dtype ?? (this.registry.flat.lowpDtype === "bf16" ? "bf16" : "f32");
    return this.layers.map(() => new KvCache(maxT, B, this.spec.NKV, this.spec.HS, d));
  }

  /**
   * Inference: tokens (B, T) i32 follow the caches' contents (a prompt to prefill, or one new token);
   * returns their logits (B·T, V). Runs under noGrad with dropout off.
   */
  decode(tokens: Tensor, caches: readonly KvCache[]): Tensor {
    const [B, T] = batchShape(tokens);
    const offset = caches[0]!.length;
    const training = this.dropout.training;
    this.dropout.training = false;
    const positions = positionIds(B, T, offset);
    try {
      return noGrad(() => {
        let x = this.embed.forward(tokens, positions); // (B·T, C)
        this.layers.forEach((layer, i) => {
          x = layer.decode(x, B, T, caches[i]!);
        });
        return this.head.forward(this.norm.forward(x)); // (B·T, V)
      });
    } finally {
      this.dropout.training = training;
      positions.dispose();
    }
  }

  /**
   * Inference over one flat batch of N tokens (tokens and positions (1, N) i32) cut into segments,
   * each extending one slot of the caches from that slot's own length: prefills of several prompts
   * and decode steps of others share every GEMM. Returns the logits of `rows` only ((R) i32 row
   * indices, so a prefill computes the head for its last token alone), or of all N rows when null.
   * Runs under noGrad with dropout off.
   */
  decodeSegments(
    tokens: Tensor,
    positions: Tensor,
    segments: readonly CacheSegment[],
    caches: readonly KvCache[],
    rows: Tensor | null,
  ): Tensor {
    const training = this.dropout.training;
    this.dropout.training = false;
    try {
      return noGrad(() => {
        let x = this.embed.forward(tokens, positions); // (N, C)
        this.layers.forEach((layer, i) => {
          x = layer.decodeSegments(x, segments, caches[i]!);
        });
        if (rows) x = embedding(x, rows); // (R, C): the rows whose logits are wanted
        return this.head.forward(this.norm.forward(x)); // (R, V)
      });
    } finally {
      this.dropout.training = training;
    }
  }

  /**
   * Makes the constants a (B, T) forward reads (position ids). `forward` makes them on first use;
   * call this before `Plan.record`, which refuses host writes inside a recorded step.
   */
  prepare(B: number, T: number): void {
    this.positions(B, T);
  }

  // Position ids 0 .. T - 1 per row, kept per (B, T).
  private positions(B: number, T: number): Tensor {
    const key = `${B}x${T}`;
    let p = this.positionCache.get(key);
    if (!p) {
      p = keep(positionIds(B, T, 0));
      this.positionCache.set(key, p);
    }
    return p;
  }

  dispose(): void {
    this.registry.dispose();
    this.rotary?.cos.dispose();
    this.rotary?.sin.dispose();
    this.alibi?.dispose();
    for (const p of this.positionCache.values()) p.dispose();
    if (this.embed instanceof WordAndSinusoidalEmbedding) this.embed.dispose();
  }
}

/** (B, T) i32 holding offset .. offset + T - 1 in each row. */
function positionIds(B: number, T: number, offset: number): Tensor {
  const ids = new Int32Array(B * T);
  for (let i = 0; i < ids.length; i++) ids[i] = offset + (i % T);
  return Tensor.fromArray(ids, [B, T], { dtype: "i32" });
}

// The norm a spec names, as a factory every norm site of the model calls.
function normFactory(n: NormSpec): NormFactory {
  switch (n.kind) {
    case "layernorm":
      return (p, C) => new LayerNorm(p, C, n.eps, n.bias);
    case "non_parametric_layernorm":
      return () => new NonParametricLayerNorm(n.eps);
    case "rmsnorm":
      return (p, C) => new RMSNorm(p, C, n.eps, n.bias);
  }
}

function keepTables(t: RotaryTables): RotaryTables {
  return { cos: keep(t.cos), sin: keep(t.sin) };
}

function batchShape(tokens: Tensor): [number, number] {
  if (tokens.ndim !== 2 || tokens.dtype !== "i32")
    throw new Error(`model: tokens ${tokens} must be (B, T) i32`);
  return [tokens.size(0), tokens.size(1)];
}
