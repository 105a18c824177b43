// Parameter counts of every preset in configs/, sized from the config alone, against (a) the totals
// published for the released models and (b) a per-layer formula written out here from each model's
// published architecture (widths typed in from the model cards, not read from our derivation).
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ResolvedConfig, resolveConfig, withVocabSize } from "@neox/config";
import { describe, expect, it } from "vitest";
import { countParameters, modelInfo, parameterTable } from "../src/report/index";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const cfg = (...files: string[]) => files.map((f) => resolve(ROOT, "configs", f));

/** Tokenizer vocabulary sizes (before padding): GPT-NeoX-20B's, GPT-2's, Llama's SentencePiece. */
const NEOX_20B_VOCAB = 50277;
const GPT2_VOCAB = 50257;
const LLAMA_VOCAB = 32000;

function load(file: string, vocab: number): ResolvedConfig {
  // the Llama-family presets are architecture only; their README pairs them with the train config
  const train = /^(llama|llama2|mistral)\//.test(file) ? ["llama/train_config.yml"] : [];
  const r = resolveConfig(cfg(file, ...train, "local_setup.yml"));
  expect(r.problems.map((p) => p.message)).toEqual([]);
  return withVocabSize(r, vocab);
}

interface Arch {
  layers: number;
  hidden: number;
  /** Key/value heads × head size (= hidden for MHA). */
  kvWidth: number;
  /** MLP hidden width: 4h for GPT-NeoX, HF's intermediate_size for the gated models. */
  ffn: number;
  gated: boolean;
  /** Biases and LayerNorm (GPT-NeoX) vs no biases and RMSNorm scale only (Llama/Mistral). */
  neoxStyle: boolean;
  paddedVocab: number;
}

/**
 * Untied, rotary (no position parameters): two vocabulary matrices, L layers, one final norm.
 * Per layer, GPT-NeoX style: QKV (h·3h + 3h), dense (h² + h), MLP (h·f + f + f·h + h), two
 * LayerNorms (4h). Llama style: Q, K, V, O (h² + 2·h·kvWidth + h²), gated MLP (3·h·f), two RMSNorm
 * scales (2h).
 */
function expectedTotal(a: Arch): number {
  const h = a.hidden;
  const f = a.ffn;
  const perLayer = a.neoxStyle
    ? 3 * h * h + 3 * h + h * h + h + (h * f + f + f * h + h) + 4 * h
    : 2 * h * h + 2 * h * a.kvWidth + (a.gated ? 3 : 2) * h * f + 2 * h;
  const finalNorm = a.neoxStyle ? 2 * h : h;
  return 2 * a.paddedVocab * h + a.layers * perLayer + finalNorm;
}

const neox = (layers: number, hidden: number, paddedVocab: number): Arch => ({
  layers,
  hidden,
  kvWidth: hidden,
  ffn: 4 * hidden,
  gated: false,
  neoxStyle: true,
  paddedVocab,
});
const llama = (layers: number, hidden: number, ffn: number, kvWidth = hidden): Arch => ({
  layers,
  hidden,
  kvWidth,
  ffn,
  gated: true,
  neoxStyle: false,
  paddedVocab: 32000,
});

interface PresetCase {
  file: string;
  vocab: number;
  arch: Arch;
  /** The model card's / paper's total, where one is published. */
  published?: number;
  /** Pythia's published non-embedding count. */
  publishedNonEmbedding?: number;
}

// Pythia totals and non-embedding counts: the Pythia model cards / README table. The padded
// vocabularies follow from model_parallel_size: 50277 → 50304 at TP 1, 50432 at TP 2, 50688 at TP 4.
// Llama-2-7B 6,738,415,616 and Mistral-7B 7,241,732,096: the Hugging Face checkpoints' counts.
// GPT-NeoX-20B 20,554,567,680: its model card. The rest are derived only by expectedTotal.
const PRESETS: PresetCase[] = [
  { file: "pythia/14M.yml", vocab: NEOX_20B_VOCAB, arch: neox(6, 128, 50304) },
  { file: "pythia/31M.yml", vocab: NEOX_20B_VOCAB, arch: neox(6, 256, 50304) },
  {
    file: "pythia/70M.yml",
    vocab: NEOX_20B_VOCAB,
    arch: neox(6, 512, 50304),
    published: 70_426_624,
    publishedNonEmbedding: 18_915_328,
  },
  {
    file: "pythia/160M.yml",
    vocab: NEOX_20B_VOCAB,
    arch: neox(12, 768, 50304),
    published: 162_322_944,
    publishedNonEmbedding: 85_056_000,
  },
  {
    file: "pythia/410M.yml",
    vocab: NEOX_20B_VOCAB,
    arch: neox(24, 1024, 50304),
    published: 405_334_016,
    publishedNonEmbedding: 302_311_424,
  },
  {
    file: "pythia/1B.yml",
    vocab: NEOX_20B_VOCAB,
    arch: neox(16, 2048, 50304),
    published: 1_011_781_632,
    publishedNonEmbedding: 805_736_448,
  },
  {
    file: "pythia/1-4B.yml",
    vocab: NEOX_20B_VOCAB,
    arch: neox(24, 2048, 50304),
    published: 1_414_647_808,
    publishedNonEmbedding: 1_208_602_624,
  },
  {
    file: "pythia/2-8B.yml",
    vocab: NEOX_20B_VOCAB,
    arch: neox(32, 2560, 50304),
    published: 2_775_208_960,
    publishedNonEmbedding: 2_517_652_480,
  },
  {
    file: "pythia/6-9B.yml",
    vocab: NEOX_20B_VOCAB,
    arch: neox(32, 4096, 50432),
    published: 6_857_302_016,
    publishedNonEmbedding: 6_444_163_072,
  },
  {
    file: "pythia/12B.yml",
    vocab: NEOX_20B_VOCAB,
    arch: neox(36, 5120, 50688),
    published: 11_846_072_320,
    publishedNonEmbedding: 11_327_027_200,
  },
  { file: "20B.yml", vocab: NEOX_20B_VOCAB, arch: neox(44, 6144, 50432), published: 20_554_567_680 },
  { file: "125M.yml", vocab: GPT2_VOCAB, arch: neox(12, 768, 50304) },
  { file: "350M.yml", vocab: GPT2_VOCAB, arch: neox(24, 1024, 50304) },
  { file: "760M.yml", vocab: GPT2_VOCAB, arch: neox(24, 1536, 50304) },
  { file: "1-3B.yml", vocab: GPT2_VOCAB, arch: neox(24, 2048, 50304) },
  { file: "2-7B.yml", vocab: GPT2_VOCAB, arch: neox(32, 2560, 50304) },
  { file: "6-7B.yml", vocab: GPT2_VOCAB, arch: neox(32, 4096, 50304) },
  { file: "13B.yml", vocab: GPT2_VOCAB, arch: neox(40, 5120, 50304) },
  // Llama MLP widths from Meta's params (HF intermediate_size): 11008, 13824, 17920, 22016, 28672
  { file: "llama/7B.yml", vocab: LLAMA_VOCAB, arch: llama(32, 4096, 11008), published: 6_738_415_616 },
  { file: "llama/13B.yml", vocab: LLAMA_VOCAB, arch: llama(40, 5120, 13824) },
  { file: "llama/30B.yml", vocab: LLAMA_VOCAB, arch: llama(60, 6656, 17920) },
  { file: "llama/65B.yml", vocab: LLAMA_VOCAB, arch: llama(80, 8192, 22016) },
  { file: "llama2/7B.yml", vocab: LLAMA_VOCAB, arch: llama(32, 4096, 11008), published: 6_738_415_616 },
  { file: "llama2/13B.yml", vocab: LLAMA_VOCAB, arch: llama(40, 5120, 13824) },
  // 70B: 8 key/value heads of 128 channels
  { file: "llama2/70B.yml", vocab: LLAMA_VOCAB, arch: llama(80, 8192, 28672, 8 * 128) },
  {
    file: "mistral/7B.yml",
    vocab: LLAMA_VOCAB,
    arch: llama(32, 4096, 14336, 8 * 128),
    published: 7_241_732_096,
  },
];

describe("parameter counts of every preset", () => {
  it("covers every model preset in configs/", () => {
    const listed = new Set(PRESETS.map((p) => p.file));
    for (const f of [
      "pythia/14M.yml",
      "pythia/31M.yml",
      "pythia/70M.yml",
      "pythia/160M.yml",
      "pythia/410M.yml",
      "pythia/1B.yml",
      "pythia/1-4B.yml",
      "pythia/2-8B.yml",
      "pythia/6-9B.yml",
      "pythia/12B.yml",
      "125M.yml",
      "350M.yml",
      "760M.yml",
      "1-3B.yml",
      "2-7B.yml",
      "6-7B.yml",
      "13B.yml",
      "20B.yml",
      "llama/7B.yml",
      "llama/13B.yml",
      "llama/30B.yml",
      "llama/65B.yml",
      "llama2/7B.yml",
      "llama2/13B.yml",
      "llama2/70B.yml",
      "mistral/7B.yml",
    ])
      expect(listed.has(f)).toBe(true);
  });

  for (const p of PRESETS) {
    it(`${p.file}: padded vocabulary, total and non-embedding count`, () => {
      const r = load(p.file, p.vocab);
      expect(r.derived.padded_vocab_size).toBe(p.arch.paddedVocab);
      const { info } = modelInfo(r);
      // the models/ folder each preset maps to: Mistral is the one with a sliding window
      const family = p.file.startsWith("mistral/") ? "mistral" : p.arch.neoxStyle ? "gpt-neox" : "llama";
      expect(info.architecture).toBe(family);
      expect([info.layers, info.hidden_size, info.padded_vocab_size]).toEqual([
        p.arch.layers,
        p.arch.hidden,
        p.arch.paddedVocab,
      ]);
      const want = expectedTotal(p.arch);
      expect(info.parameters).toBe(want);
      if (p.published !== undefined) expect(info.parameters).toBe(p.published);
      expect(info.non_embedding_parameters).toBe(want - 2 * p.arch.paddedVocab * p.arch.hidden);
      if (p.publishedNonEmbedding !== undefined)
        expect(info.non_embedding_parameters).toBe(p.publishedNonEmbedding);
    });
  }

  it("Pythia-70M is 70,426,624 with the 20B tokenizer padded to 50304 (Appendix A formula)", () => {
    const r = load("pythia/70M.yml", NEOX_20B_VOCAB);
    const rows = parameterTable(r);
    const V = 50304;
    const h = 512;
    const L = 6;
    const f = 2048;
    // neox-spec Appendix A: V·h·2 + L·(4h² + 4h + 2·h·f + f + h + 4h) + 2h
    expect(V * h * 2 + L * (4 * h * h + 4 * h + 2 * h * f + f + h + 4 * h) + 2 * h).toBe(70_426_624);
    expect(countParameters(rows, L).total).toBe(70_426_624);
  });
});
