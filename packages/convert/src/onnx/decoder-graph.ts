// The forward pass of a GptNeoXModel as standard ONNX operators (opset 17), with the input and
// output names Hugging Face's ONNX exports use (optimum's decoder exports): `input_ids`,
// `attention_mask`, `position_ids`, `past_key_values.{i}.key|value` -> `logits`,
// `present.{i}.key|value`. Every choice the model fixed at build time (block wiring, norm, MLP
// activation, positions, QKV layout, window, tied head) is read from its spec here and emitted as
// the same arithmetic:
//   - QKV: per-head interleaved [q_h | k_h | v_h] (MHA) or blocked [Q | K | V] (GQA), as the
//     attention kernel reads it; G = NH / NKV consecutive query heads share a kv head.
//   - rotary: rotate-half on each head's first rotDim channels, the model's own cos/sin tables
//     gathered at the position ids; cached keys are stored rotated (HF's convention).
//   - mask: query i (absolute index past + i) sees key j when j <= past + i, within the sliding
//     window (past + i - j <= window, GPT-NeoX's window of w + 1 keys) and where attention_mask is 1.
//   - fp16: weights and compute in half, except the RMSNorm statistics and the softmax (fp32, as
//     the model's own kernels accumulate); logits are cast to float32.
// B batch, S new tokens, P cached tokens, T = P + S, C channels, V padded vocabulary.
import type { GptNeoXModel } from "@neox/models";
import { rotaryTables } from "@neox/tensor";
import { float, GraphBuilder, ints, type Precision } from "./graph-builder";
import { type GraphDef, ONNX_BOOL, ONNX_FLOAT, ONNX_INT64, type ValueInfoDef } from "./proto";

export interface DecoderGraphOptions {
  precision?: Precision;
  /** Past/present key-value inputs and outputs (default false). */
  kvCache?: boolean;
  /** Declare the `attention_mask` input (default true). Without it every key is attended. */
  attentionMask?: boolean;
  /** Declare the `position_ids` input (default true). Without it positions are P .. P + S - 1. */
  positionIds?: boolean;
}

type Weights = (name: string) => Float32Array;

const F32_MIN = -3.4028234663852886e38;

export function decoderGraph(model: GptNeoXModel, opts: DecoderGraphOptions = {}): GraphDef {
  const s = model.spec;
  const g = new GraphBuilder(opts.precision ?? "fp32");
  const kv = opts.kvCache === true;
  const withMask = opts.attentionMask !== false;
  const withPos = opts.positionIds !== false;
  if (s.positions === "alibi" || s.positions === "sinusoidal")
    throw new Error(
      `onnx export: pos_emb "${s.positions}" is not exported yet (rotary, learned and none are)`,
    );
  // Each weight is copied from the model when its initializer is made (a linear layer's copy is
  // transposed and the untransposed one dropped), so the export holds one host copy of each.
  const params = new Map<string, { t: { toFloat32Array(): Float32Array } }>();
  for (const e of model.registry.entries()) params.set(e.name, e.param);
  const w: Weights = (name) => {
    const p = params.get(name);
    if (!p) throw new Error(`onnx export: the model has no parameter ${name}`);
    return p.t.toFloat32Array();
  };
  const shapeOf = new Map<string, readonly number[]>();
  for (const e of model.registry.entries()) shapeOf.set(e.name, e.shape);

  const ft = g.ft;
  const inputs: ValueInfoDef[] = [
    { name: "input_ids", elemType: ONNX_INT64, dims: ["batch_size", "sequence_length"] },
  ];
  if (withMask)
    inputs.push({
      name: "attention_mask",
      elemType: ONNX_INT64,
      dims: ["batch_size", "total_sequence_length"],
    });
  if (withPos)
    inputs.push({ name: "position_ids", elemType: ONNX_INT64, dims: ["batch_size", "sequence_length"] });
  const outputs: ValueInfoDef[] = [
    { name: "logits", elemType: ONNX_FLOAT, dims: ["batch_size", "sequence_length", s.V] },
  ];
  if (kv)
    for (let i = 0; i < s.L; i++)
      for (const kind of ["key", "value"]) {
        inputs.push({
          name: `past_key_values.${i}.${kind}`,
          elemType: ft,
          dims: ["batch_size", s.NKV, "past_sequence_length", s.HS],
        });
        outputs.push({
          name: `present.${i}.${kind}`,
          elemType: ft,
          dims: ["batch_size", s.NKV, "total_sequence_length", s.HS],
        });
      }

  // Lengths: S from input_ids, P from the first past key (0 without a cache), T = P + S.
  const scalarAt = (shape: string, i: number) => g.op("Squeeze", [g.op("Gather", [shape, g.i64([i], [1])])]);
  const S = scalarAt(g.op("Shape", ["input_ids"]), 1);
  const P = kv ? scalarAt(g.op("Shape", ["past_key_values.0.key"]), 2) : g.i64([0], []);
  const T = g.op("Add", [P, S]);
  const one = g.i64([1], []);
  const qIdx = g.op("Range", [P, T, one]); // (S) absolute query indices
  const positions = withPos ? "position_ids" : g.op("Unsqueeze", [qIdx, g.i64([0])]); // (B|1, S)

  // Input stage.
  let x = g.op("Gather", [
    g.weight("word_embeddings.weight", shapeOf.get("word_embeddings.weight")!, w("word_embeddings.weight")),
    "input_ids",
  ]);
  if (s.positions === "learned") {
    const pe = g.weight(
      "position_embeddings.weight",
      shapeOf.get("position_embeddings.weight")!,
      w("position_embeddings.weight"),
    );
    x = g.op("Add", [x, g.op("Gather", [pe, positions])]);
  }

  // Rotary: the model's own tables, gathered at the positions, (B|1, 1, S, rotDim/2).
  let rot: { cos: string; sin: string } | null = null;
  if (s.rotDim > 0) {
    // The same kernel and arguments as the model's own tables (GptNeoXModel's constructor).
    const rows = Math.max(s.maxPositions, s.seqLength);
    const t = rotaryTables(rows, s.rotDim, s.rotaryBase);
    const tables = { cos: t.cos.toFloat32Array(), sin: t.sin.toFloat32Array() };
    t.cos.dispose();
    t.sin.dispose();
    const half = s.rotDim / 2;
    const gather = (name: string, t: Float32Array) =>
      g.op("Unsqueeze", [g.op("Gather", [g.weight(name, [rows, half], t), positions]), g.i64([1])]);
    rot = { cos: gather("rotary.cos", tables.cos), sin: gather("rotary.sin", tables.sin) };
  }

  // Which keys each query sees: (S, T) causal (and window), with attention_mask (B, 1, 1, 1, T).
  const kIdx = g.op("Range", [g.i64([0], []), T, one]);
  const diff = g.op("Sub", [g.op("Unsqueeze", [qIdx, g.i64([1])]), g.op("Unsqueeze", [kIdx, g.i64([0])])]);
  let allowed = g.op("GreaterOrEqual", [diff, g.i64([0], [])]);
  if (s.window !== undefined)
    allowed = g.op("And", [allowed, g.op("LessOrEqual", [diff, g.i64([s.window], [])])]);
  if (withMask) {
    const m = g.op("Cast", ["attention_mask"], { to: { kind: "int", value: ONNX_BOOL } });
    allowed = g.op("And", [allowed, g.op("Unsqueeze", [m, g.i64([1, 2, 3])])]);
  }

  const linear = (h: string, name: string, bias: boolean): string => {
    const shape = shapeOf.get(`${name}.weight`)!;
    const [out, inp] = [shape[0]!, shape[1]!];
    const wt = transpose(w(`${name}.weight`), out, inp);
    let y = g.op("MatMul", [h, g.weight(`${name}.weight.T`, [inp, out], wt)], {}, name);
    if (bias) y = g.op("Add", [y, g.weight(`${name}.bias`, [out], w(`${name}.bias`))]);
    return y;
  };

  const norm = (h: string, name: string): string => {
    const n = s.norm;
    if (n.kind === "layernorm" || n.kind === "non_parametric_layernorm") {
      const scale =
        n.kind === "layernorm"
          ? g.weight(`${name}.weight`, [s.C], w(`${name}.weight`))
          : g.weight(`${name}.ones`, [s.C], new Float32Array(s.C).fill(1));
      const ins = [h, scale];
      if (n.kind === "layernorm" && n.bias) ins.push(g.weight(`${name}.bias`, [s.C], w(`${name}.bias`)));
      return g.op(
        "LayerNormalization",
        ins,
        { axis: { kind: "int", value: -1 }, epsilon: float(n.eps) },
        name,
      );
    }
    // RMSNorm: x · 1/sqrt(mean(x²) + eps) · scale (+ offset), statistics in fp32.
    const xf = g.precision === "fp16" ? g.op("Cast", [h], { to: { kind: "int", value: ONNX_FLOAT } }) : h;
    const ms = g.op("ReduceMean", [g.op("Mul", [xf, xf])], {
      axes: ints([-1]),
      keepdims: { kind: "int", value: 1 },
    });
    const rstd = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [ms, g.scalar32(n.eps)])])]);
    let y = g.op("Mul", [xf, rstd], {}, name);
    if (g.precision === "fp16") y = g.op("Cast", [y], { to: { kind: "int", value: ft } });
    y = g.op("Mul", [y, g.weight(`${name}.scale`, [s.C], w(`${name}.scale`))]);
    if (n.bias) y = g.op("Add", [y, g.weight(`${name}.offset`, [s.C], w(`${name}.offset`))]);
    return y;
  };

  const rope = (h: string): string => {
    if (!rot) return h;
    const half = s.rotDim / 2;
    const sizes = s.rotDim < s.HS ? [half, half, s.HS - s.rotDim] : [half, half];
    const parts = g.opN("Split", [h, g.i64(sizes)], sizes.length, { axis: { kind: "int", value: 3 } });
    const [x1, x2] = [parts[0]!, parts[1]!];
    const o1 = g.op("Sub", [g.op("Mul", [x1, rot.cos]), g.op("Mul", [x2, rot.sin])]);
    const o2 = g.op("Add", [g.op("Mul", [x2, rot.cos]), g.op("Mul", [x1, rot.sin])]);
    return g.op("Concat", [o1, o2, ...parts.slice(2)], { axis: { kind: "int", value: 3 } });
  };

  const G = s.NH / s.NKV;
  const attention = (h: string, i: number): string => {
    const p = `layers.${i}.attention`;
    const qkv = linear(h, `${p}.query_key_value`, s.attnBias); // (B, S, (NH + 2·NKV)·HS)
    let q: string, k: string, v: string;
    if (s.NKV === s.NH) {
      const r = g.op("Reshape", [qkv, g.i64([0, 0, s.NH, 3 * s.HS])]);
      [q, k, v] = g.opN("Split", [r, g.i64([s.HS, s.HS, s.HS])], 3, { axis: { kind: "int", value: 3 } }) as [
        string,
        string,
        string,
      ];
    } else {
      const [bq, bk, bv] = g.opN("Split", [qkv, g.i64([s.NH * s.HS, s.NKV * s.HS, s.NKV * s.HS])], 3, {
        axis: { kind: "int", value: 2 },
      }) as [string, string, string];
      q = g.op("Reshape", [bq, g.i64([0, 0, s.NH, s.HS])]);
      k = g.op("Reshape", [bk, g.i64([0, 0, s.NKV, s.HS])]);
      v = g.op("Reshape", [bv, g.i64([0, 0, s.NKV, s.HS])]);
    }
    const heads = (t: string) => g.op("Transpose", [t], { perm: ints([0, 2, 1, 3]) }); // (B, H, S, HS)
    q = rope(heads(q));
    k = rope(heads(k));
    v = heads(v);
    if (kv) {
      k = g.opTo(`present.${i}.key`, "Concat", [`past_key_values.${i}.key`, k], {
        axis: { kind: "int", value: 2 },
      });
      v = g.opTo(`present.${i}.value`, "Concat", [`past_key_values.${i}.value`, v], {
        axis: { kind: "int", value: 2 },
      });
    }
    // Group query heads by their kv head: q (B, NKV, G, S, HS) against k, v (B, NKV, 1, T, HS).
    const q5 = g.op("Reshape", [q, g.i64([0, s.NKV, G, -1, s.HS])]);
    const kT = g.op("Transpose", [g.op("Unsqueeze", [k, g.i64([2])])], { perm: ints([0, 1, 2, 4, 3]) });
    let scores = g.op("Mul", [g.op("MatMul", [q5, kT]), g.scalar(1 / Math.sqrt(s.HS))]); // (B, NKV, G, S, T)
    if (g.precision === "fp16") scores = g.op("Cast", [scores], { to: { kind: "int", value: ONNX_FLOAT } });
    scores = g.op("Where", [allowed, scores, g.scalar32(F32_MIN)]);
    let probs = g.op("Softmax", [scores], { axis: { kind: "int", value: -1 } });
    if (g.precision === "fp16") probs = g.op("Cast", [probs], { to: { kind: "int", value: ft } });
    const ctx = g.op("MatMul", [probs, g.op("Unsqueeze", [v, g.i64([2])])]); // (B, NKV, G, S, HS)
    const merged = g.op("Reshape", [
      g.op("Transpose", [g.op("Reshape", [ctx, g.i64([0, s.NH, -1, s.HS])])], { perm: ints([0, 2, 1, 3]) }),
      g.i64([0, 0, s.NH * s.HS]),
    ]);
    return linear(merged, `${p}.dense`, s.attnBias);
  };

  const act = (h: string, kind: string): string => {
    switch (kind) {
      case "relu":
        return g.op("Relu", [h]);
      case "silu":
        return g.op("Mul", [h, g.op("Sigmoid", [h])]);
      case "gelu": {
        const e = g.op("Erf", [g.op("Mul", [h, g.scalar(Math.SQRT1_2)])]);
        return g.op("Mul", [g.op("Mul", [h, g.scalar(0.5)]), g.op("Add", [e, g.scalar(1)])]);
      }
      case "gelu_tanh": {
        const cube = g.op("Mul", [g.op("Mul", [h, h]), h]);
        const inner = g.op("Mul", [
          g.op("Add", [h, g.op("Mul", [cube, g.scalar(0.044715)])]),
          g.scalar(Math.sqrt(2 / Math.PI)),
        ]);
        return g.op("Mul", [
          g.op("Mul", [h, g.scalar(0.5)]),
          g.op("Add", [g.op("Tanh", [inner]), g.scalar(1)]),
        ]);
      }
    }
    throw new Error(`onnx export: activation ${kind} has no ONNX form here`);
  };
  const GATED: Record<string, string> = { swiglu: "silu", geglu: "gelu", reglu: "relu" };

  const mlp = (h: string, i: number): string => {
    const p = `layers.${i}.mlp`;
    let y = linear(h, `${p}.linear1`, s.mlpBias);
    const gate = GATED[s.activation];
    if (gate) {
      // [x ‖ gate] halves: act(gate) · x
      const [up, gt] = g.opN("Split", [y, g.i64([s.linear2In, s.linear2In])], 2, {
        axis: { kind: "int", value: 2 },
      });
      y = g.op("Mul", [act(gt!, gate), up!]);
    } else y = act(y, s.activation);
    return linear(y, `${p}.linear2`, s.mlpBias);
  };

  for (let i = 0; i < s.L; i++) {
    const p = `layers.${i}`;
    if (s.residual === "sequential") {
      const h = g.op("Add", [x, attention(norm(x, `${p}.input_layernorm`), i)]);
      x = g.op("Add", [h, mlp(norm(h, `${p}.post_attention_layernorm`), i)]);
    } else if (s.residual === "parallel") {
      const a = attention(norm(x, `${p}.input_layernorm`), i);
      const m = mlp(norm(x, `${p}.post_attention_layernorm`), i);
      x = g.op("Add", [x, g.op("Add", [a, m])]);
    } else {
      const y = norm(x, `${p}.input_layernorm`);
      x = g.op("Add", [x, g.op("Add", [attention(y, i), mlp(y, i)])]);
    }
  }
  x = norm(x, "norm");
  const head = s.tiedOutput
    ? g.op("Transpose", ["word_embeddings.weight"], { perm: ints([1, 0]) })
    : g.weight("final_linear.weight.T", [s.C, s.V], transpose(w("final_linear.weight"), s.V, s.C));
  if (g.precision === "fp16") {
    const logits = g.op("MatMul", [x, head]);
    g.opTo("logits", "Cast", [logits], { to: { kind: "int", value: ONNX_FLOAT } });
  } else g.opTo("logits", "MatMul", [x, head]);
  return g.graph("neox_decoder", inputs, outputs);
}

/** (rows, cols) row-major -> (cols, rows). */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}
