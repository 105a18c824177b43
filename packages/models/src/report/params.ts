// The parameter table: every trainable tensor GPT-NeoX creates for a config, by its state-dict name
// and shape, and the totals. Shapes only; no tensor is allocated, so a 70B config is sized in
// microseconds.
import type { ResolvedConfig } from "@neox/config";
import { type ModelShape, modelShape } from "./shape";

export interface ParamEntry {
  /**
   * The model's parameter name, as @neox/models layers register it and checkpoints store it:
   * `layers.{i}.<key>` for transformer layer i, the bare key elsewhere (`word_embeddings.weight`).
   */
  name: string;
  /** GPT-NeoX's sequential state-dict name, `sequential.<idx>.<key>` (neox-spec §4.2). */
  sequential: string;
  /** Layer-spec index: 0 embedding, 2..L+1 transformer layers, L+3 final norm, L+4 output linear. */
  index: number;
  /** The name inside the layer (`attention.query_key_value.weight`), as in `layer_<idx>` files. */
  key: string;
  /** [out, in] for linear weights, as torch stores them. */
  shape: readonly number[];
  numel: number;
  /** Counted as embedding by Kaplan/Pythia: word, position and output-vocabulary matrices. */
  embedding: boolean;
}

/** The parameters of a norm module, by GPT-NeoX's class: LayerNorm weight/bias, RMSNorm scale/offset. */
function normParams(s: ModelShape): [string, number[]][] {
  switch (s.norm) {
    case "layernorm":
      return s.normBias
        ? [
            ["weight", [s.hidden]],
            ["bias", [s.hidden]],
          ]
        : [["weight", [s.hidden]]];
    case "rmsnorm":
      // RMSNorm(bias=True) adds `offset` (GPT-NeoX norms.py; tests/unit/test_norms.py checks the name)
      return s.normBias
        ? [
            ["scale", [s.hidden]],
            ["offset", [s.hidden]],
          ]
        : [["scale", [s.hidden]]];
    case "scalenorm":
      return [["g", [1]]]; // one learned scalar
    case "non_parametric_layernorm":
      return [];
  }
}

/** Output features of attention.query_key_value: 3h for MHA, h + 2·kv·head_size for GQA/MQA. */
export function qkvOutFeatures(s: ModelShape): number {
  return s.kvHeads < s.heads ? s.hidden + 2 * s.kvHeads * s.headSize : 3 * s.hidden;
}

function layerParams(s: ModelShape): [string, number[]][] {
  const h = s.hidden;
  const out: [string, number[]][] = [];
  const norm = (prefix: string) => {
    for (const [n, shape] of normParams(s)) out.push([`${prefix}.${n}`, shape]);
  };
  norm("input_layernorm");
  out.push(["attention.query_key_value.weight", [qkvOutFeatures(s), h]]);
  if (s.attnBias) out.push(["attention.query_key_value.bias", [qkvOutFeatures(s)]]);
  out.push(["attention.dense.weight", [h, h]]);
  if (s.attnBias) out.push(["attention.dense.bias", [h]]);
  // GPT-NeoX creates post_attention_layernorm in every layer, also with gpt_j_tied (where forward
  // never calls it: "superfluous but leaving it in leads to cleaner code", transformer.py). The
  // tensor is in every checkpoint, so it is in the table and the count; it just gets no gradient.
  norm("post_attention_layernorm");
  out.push(["mlp.linear1.weight", [s.linear1Out, h]]);
  if (s.mlpBias) out.push(["mlp.linear1.bias", [s.linear1Out]]);
  out.push(["mlp.linear2.weight", [h, s.linear2In]]);
  if (s.mlpBias) out.push(["mlp.linear2.bias", [h]]);
  return out;
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Every parameter, in GPT-NeoX's module order (which is also its state-dict order). */
export function parameterTableOf(s: ModelShape): ParamEntry[] {
  const rows: ParamEntry[] = [];
  const add = (index: number, key: string, shape: number[], embedding = false) =>
    rows.push({
      name: index >= 2 && index <= s.layers + 1 ? `layers.${index - 2}.${key}` : key,
      sequential: `sequential.${index}.${key}`,
      index,
      key,
      shape,
      numel: product(shape),
      embedding,
    });
  add(0, "word_embeddings.weight", [s.paddedVocab, s.hidden], true);
  // learned positions are a parameter; sinusoidal and rotary keep only an inv_freq buffer, alibi slopes
  if (s.posEmb === "learned") add(0, "position_embeddings.weight", [s.maxPositions, s.hidden], true);
  const layer = layerParams(s);
  for (let i = 0; i < s.layers; i++) for (const [key, shape] of layer) add(i + 2, key, shape);
  for (const [n, shape] of normParams(s)) add(s.layers + 3, `norm.${n}`, shape);
  // tied: the last stage reuses word_embeddings.weight, so there is no second tensor to count
  if (!s.tiedOutput) add(s.layers + 4, "final_linear.weight", [s.paddedVocab, s.hidden], true);
  return rows;
}

export function parameterTable(r: ResolvedConfig): ParamEntry[] {
  return parameterTableOf(modelShape(r));
}

export interface ParamCounts {
  /** Every parameter once (a tied embedding is counted once, as `sum(p.numel())` over the module). */
  total: number;
  /**
   * Total minus the embedding matrices: word embeddings, learned position embeddings and the untied
   * output projection. This is Kaplan et al. (2020)'s N and the Pythia suite's "non-embedding
   * params" column: e.g. Pythia-70M 70,426,624 − 2 × 50,304 × 512 = 18,915,328 (the final norm
   * stays in; it is not a vocabulary matrix).
   */
  nonEmbedding: number;
  /** One transformer layer's parameters. */
  perLayer: number;
}

export function countParameters(rows: readonly ParamEntry[], layers: number): ParamCounts {
  let total = 0;
  let embedding = 0;
  let layer0 = 0;
  for (const p of rows) {
    total += p.numel;
    if (p.embedding) embedding += p.numel;
    if (p.index === 2) layer0 += p.numel;
  }
  return { total, nonEmbedding: total - embedding, perLayer: layers > 0 ? layer0 : 0 };
}
