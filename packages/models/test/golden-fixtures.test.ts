// The PyTorch golden fixtures (tools/fixtures/models/golden.py) checked on their own, before any
// model reads them: each case's config resolves with @neox/config, the file holds exactly the
// parameters GPT-NeoX names for that config (spec §4.2, derived here from the config, not from the
// fixture's own list) with the shapes GPT-NeoX's formulas give, a gradient of the same shape for
// each, and a loss equal to the mean cross-entropy recomputed in float64 from the stored logits.
// The model-vs-fixture tests belong beside the models; this file only vouches for the data.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig, withVocabSize } from "@neox/config";
import { floatToBf16, SafetensorsFile } from "@neox/tensor";
import { afterAll, describe, expect, it } from "vitest";

const GOLDEN = join(import.meta.dirname, "fixtures", "golden");
const BF16 = join(GOLDEN, "bf16");
const casesIn = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
const CASES = casesIn(GOLDEN);
const BF16_CASES = casesIn(BF16);
/** The folder of a case: float32 cases at the top, bf16 ones apart so f32 model tests skip them. */
const dirOf = (c: string) => (c.endsWith("_bf16") ? BF16 : GOLDEN);
const tmp = mkdtempSync(join(tmpdir(), "golden-fixtures-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Description {
  case: string;
  config: Record<string, unknown>;
  vocab_size: number;
  padded_vocab_size: number;
  batch: number;
  params: { name: string; shape: number[] }[];
  unused_params: string[];
  weights_dtype: "f32" | "bf16";
  loss: number;
}

type Cfg = Record<string, unknown>;

/** GPT-NeoX's parameter names and shapes for a config (spec §4.2, §1.1), from resolved values. */
function expectedParams(values: Cfg, derived: Cfg, vocab: number): Map<string, number[]> {
  const h = values.hidden_size as number;
  const L = values.num_layers as number;
  const heads = values.num_attention_heads as number;
  const hd = derived.head_size as number;
  const kv = derived.num_kv_heads as number;
  const qkvOut = kv < heads ? h + 2 * kv * hd : 3 * h;
  const out1 = derived.mlp_linear1_out_features as number;
  const in2 = derived.mlp_linear2_in_features as number;
  const attnBias = values.use_bias_in_attn_linear !== false;
  const mlpBias = values.use_bias_in_mlp !== false;
  const p = new Map<string, number[]>();
  p.set("sequential.0.word_embeddings.weight", [vocab, h]);
  if ((values.pos_emb ?? "learned") === "learned")
    p.set("sequential.0.position_embeddings.weight", [values.max_position_embeddings as number, h]);
  const norm = (prefix: string) => {
    const rms = values.norm === "rmsnorm";
    p.set(`${prefix}.${rms ? "scale" : "weight"}`, [h]);
    if (values.use_bias_in_norms !== false) p.set(`${prefix}.${rms ? "offset" : "bias"}`, [h]);
  };
  for (let i = 0; i < L; i++) {
    const s = `sequential.${i + 2}`;
    norm(`${s}.input_layernorm`);
    p.set(`${s}.attention.query_key_value.weight`, [qkvOut, h]);
    if (attnBias) p.set(`${s}.attention.query_key_value.bias`, [qkvOut]);
    p.set(`${s}.attention.dense.weight`, [h, h]);
    if (attnBias) p.set(`${s}.attention.dense.bias`, [h]);
    norm(`${s}.post_attention_layernorm`);
    p.set(`${s}.mlp.linear1.weight`, [out1, h]);
    if (mlpBias) p.set(`${s}.mlp.linear1.bias`, [out1]);
    p.set(`${s}.mlp.linear2.weight`, [h, in2]);
    if (mlpBias) p.set(`${s}.mlp.linear2.bias`, [h]);
  }
  norm(`sequential.${L + 3}.norm`);
  if (values.no_weight_tying === true) p.set(`sequential.${L + 4}.final_linear.weight`, [vocab, h]);
  return p;
}

/** Mean next-token cross-entropy in float64 over logits [N, V] (row-major) and labels [N]. */
function meanCrossEntropy(logits: Float32Array, labels: BigInt64Array, V: number): number {
  let total = 0;
  for (let n = 0; n < labels.length; n++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[n * V + v]!);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[n * V + v]! - max);
    total += max + Math.log(sum) - logits[n * V + Number(labels[n]!)]!;
  }
  return total / labels.length;
}

describe("golden model fixtures", () => {
  it("cover every architecture variant the models promise", () => {
    const cfgs = CASES.map(
      (c) => (JSON.parse(readFileSync(join(GOLDEN, `${c}.json`), "utf8")) as Description).config,
    );
    const some = (pred: (c: Cfg) => boolean) => cfgs.some(pred);
    expect(some((c) => c.gpt_j_residual === true && c.gpt_j_tied !== true)).toBe(true);
    expect(some((c) => c.gpt_j_tied === true)).toBe(true);
    expect(some((c) => c.gpt_j_residual === false && c.pos_emb === "learned")).toBe(true);
    expect(some((c) => (c.rotary_pct as number) < 1 && c.pos_emb === "rotary")).toBe(true);
    expect(some((c) => c.pos_emb === "alibi")).toBe(true);
    expect(
      some((c) => c.norm === "rmsnorm" && c.activation === "swiglu" && c.num_kv_heads === undefined),
    ).toBe(true);
    expect(some((c) => (c.num_kv_heads as number) > 1)).toBe(true);
    expect(some((c) => c.num_kv_heads === 1)).toBe(true);
    expect(some((c) => typeof c.sliding_window_width === "number")).toBe(true);
    expect(some((c) => c.no_weight_tying === false)).toBe(true);
    expect(some((c) => c.bias_gelu_fusion === true)).toBe(true);
    for (const act of ["relu", "silu", "reglu"])
      expect(
        some((c) => c.activation === act),
        act,
      ).toBe(true);
    expect(some((c) => c.norm === "rmsnorm" && c.use_bias_in_norms === true)).toBe(true); // RMSNorm offset
  });

  it("bf16 cases hold their float32 case's weights rounded to bf16, and a loss close to it", () => {
    expect(BF16_CASES.length).toBeGreaterThan(0);
    for (const c of BF16_CASES) {
      const lo = SafetensorsFile.open(join(BF16, `${c}.safetensors`));
      const hi = SafetensorsFile.open(join(GOLDEN, `${c.slice(0, -"_bf16".length)}.safetensors`));
      try {
        const weights = lo.names().filter((n) => n.startsWith("sequential."));
        expect(weights.length).toBeGreaterThan(0);
        for (const n of weights) {
          const bits = Array.from(lo.readArray(n) as Uint16Array);
          expect(bits, n).toEqual(Array.from(hi.readArray(n) as Float32Array, floatToBf16));
        }
        const l16 = (lo.readArray("loss") as Float32Array)[0]!;
        const l32 = (hi.readArray("loss") as Float32Array)[0]!;
        expect(l16).not.toBe(l32); // computed from the rounded weights, not copied
        expect(Math.abs(l16 - l32) / l32).toBeLessThan(1e-2);
      } finally {
        lo.close();
        hi.close();
      }
    }
  });

  for (const name of [...CASES, ...BF16_CASES]) {
    it(`${name}: config, names, shapes, inputs and loss agree`, () => {
      const desc = JSON.parse(readFileSync(join(dirOf(name), `${name}.json`), "utf8")) as Description;
      const cfgPath = join(tmp, `${name}.yml`);
      writeFileSync(cfgPath, JSON.stringify(desc.config)); // JSON is YAML
      const r = withVocabSize(resolveConfig([cfgPath], {}), desc.vocab_size);
      expect(r.problems).toEqual([]);
      const V = r.derived.padded_vocab_size as number;
      expect(V).toBe(desc.padded_vocab_size);
      const params = expectedParams(r.values as Cfg, r.derived as unknown as Cfg, V);
      expect(desc.params.map((p) => p.name)).toEqual([...params.keys()]);

      const f = SafetensorsFile.open(join(dirOf(name), `${name}.safetensors`));
      try {
        expect(f.metadata.case).toBe(name);
        const extra = ["inputs", "labels", "logits", "loss"];
        const names = [...params.keys()];
        expect(new Set(f.names())).toEqual(new Set([...names, ...names.map((n) => `grad.${n}`), ...extra]));
        const weightDType = desc.weights_dtype === "bf16" ? "BF16" : "F32";
        for (const [n, shape] of params) {
          expect([f.entry(n).dtype, f.entry(n).shape], n).toEqual([weightDType, shape]);
          expect([f.entry(`grad.${n}`).dtype, f.entry(`grad.${n}`).shape], n).toEqual(["F32", shape]);
          const grad = f.readArray(`grad.${n}`) as Float32Array;
          const used = !desc.unused_params.includes(n);
          expect(
            grad.some((g) => g !== 0),
            `grad.${n} non-zero`,
          ).toBe(used);
          expect(grad.every(Number.isFinite), `grad.${n} finite`).toBe(true);
        }
        // Only gpt_j_tied leaves a parameter unused: its post-attention norm.
        expect(
          desc.unused_params.every((n) => desc.config.gpt_j_tied && n.includes("post_attention_layernorm")),
        ).toBe(true);

        const B = desc.batch;
        const S = r.values.seq_length as number;
        expect([f.entry("inputs").dtype, f.entry("inputs").shape]).toEqual(["I64", [B, S]]);
        expect([f.entry("labels").dtype, f.entry("labels").shape]).toEqual(["I64", [B, S]]);
        expect([f.entry("logits").dtype, f.entry("logits").shape]).toEqual(["F32", [B, S, V]]);
        expect([f.entry("loss").dtype, f.entry("loss").shape]).toEqual(["F32", []]);
        const inputs = f.readArray("inputs") as BigInt64Array;
        const labels = f.readArray("labels") as BigInt64Array;
        for (const t of [...inputs, ...labels]) expect(t >= 0n && t < BigInt(desc.vocab_size)).toBe(true);
        for (let b = 0; b < B; b++)
          for (let s = 0; s + 1 < S; s++) expect(labels[b * S + s]).toBe(inputs[b * S + s + 1]); // shifted by one

        const loss = (f.readArray("loss") as Float32Array)[0]!;
        const recomputed = meanCrossEntropy(f.readArray("logits") as Float32Array, labels, V);
        expect(Math.abs(recomputed - loss) / loss).toBeLessThan(1e-6);
        expect(Math.abs(recomputed - desc.loss) / desc.loss).toBeLessThan(1e-6);

        // Padded vocabulary rows are never looked up: untied, their embedding gradient is zero;
        // tied, the output projection gives them one.
        const dEmb = f.readArray("grad.sequential.0.word_embeddings.weight") as Float32Array;
        const h = r.values.hidden_size as number;
        const padRowsGrad = dEmb.subarray(desc.vocab_size * h).some((g) => g !== 0);
        expect(padRowsGrad).toBe(r.values.no_weight_tying !== true);
      } finally {
        f.close();
      }
    });
  }
});
