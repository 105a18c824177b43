// What `pnpm bench:gpu` measures: the devices' peaks (for MFU), the GEMM shapes, the training shapes
// (Pythia-160M and -410M from configs/pythia/*.yml at seq 2048 in bf16) and the resolved config of
// one training run. The PyTorch side (bench_torch_gpu.py) is handed the same shapes as JSON.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  formatProblem,
  type ParsedFile,
  parseConfigText,
  type ResolvedConfig,
  resolveParsed,
  withVocabSize,
} from "../../packages/config/src/index";

/**
 * Dense bf16 tensor-core peaks in TFLOP/s, from the vendors' data sheets (without sparsity), matched
 * against the device name in order (the first pattern that matches wins, so PCIe before SXM).
 * The H200 has the H100 SXM's compute; only its memory differs.
 */
export const PEAK_BF16_TFLOPS: readonly [RegExp, number][] = [
  [/H100.*PCIe/i, 756],
  [/H100.*NVL/i, 835],
  [/H100/i, 989],
  [/H200/i, 989],
  [/GH200/i, 989],
  [/A100/i, 312],
  [/L40S/i, 362],
  [/L4\b/i, 121],
];

/** The bf16 peak of a device by name, or null when the table does not know it (MFU is then not given). */
export function peakBf16Tflops(deviceName: string): number | null {
  return PEAK_BF16_TFLOPS.find(([re]) => re.test(deviceName))?.[1] ?? null;
}

/** GPT-NeoX-20B tokenizer's 50277 ids padded to a multiple of 128, as Pythia trains. */
export const VOCAB = 50304;
/** Iterations before the timed ones: the first records the step's plan, the second is its first replay. */
export const WARMUP = 2;

export interface GemmShape {
  /** Where the product occurs in a transformer step. */
  name: string;
  M: number;
  N: number;
  K: number;
}

/**
 * C(M,N) = A(M,K)·B(K,N) at the shapes of a Pythia step (M tokens of a micro-batch of 8 × 2048),
 * and one large square product (what cuBLAS's headline number is quoted at).
 */
export function gemmShapes(cpuOnly: boolean): GemmShape[] {
  if (cpuOnly)
    return [
      { name: "qkv d128", M: 256, N: 384, K: 128 },
      { name: "square 256", M: 256, N: 256, K: 256 },
    ];
  const T = 8 * 2048;
  return [
    { name: "160M qkv", M: T, N: 3 * 768, K: 768 },
    { name: "160M mlp up", M: T, N: 4 * 768, K: 768 },
    { name: "160M mlp down", M: T, N: 768, K: 4 * 768 },
    { name: "410M mlp up", M: T, N: 4 * 1024, K: 1024 },
    { name: "410M lm head", M: T, N: VOCAB, K: 1024 },
    { name: "square 8192", M: 8192, N: 8192, K: 8192 },
  ];
}

export interface TrainShape {
  name: string;
  /** The GPT-NeoX config the shape starts from, relative to the repository root. */
  base: string;
  /** Micro-batches tried in order: the first whose dry-run estimate fits in the device's memory. */
  micro: number[];
  /** Keys laid over the base (the --cpu-only shapes shrink the model here). */
  overrides: Record<string, unknown>;
}

/** The cpu-only shapes keep each base file's layout at 2 layers, width 128, 128 tokens. */
const SHRUNK = {
  num_layers: 2,
  hidden_size: 128,
  num_attention_heads: 4,
  seq_length: 128,
  max_position_embeddings: 128,
};

export function trainShapes(cpuOnly: boolean): TrainShape[] {
  return [
    {
      name: "pythia-160m",
      base: "configs/pythia/160M.yml",
      micro: cpuOnly ? [2] : [8, 4, 2, 1],
      overrides: {},
    },
    {
      name: "pythia-410m",
      base: "configs/pythia/410M.yml",
      micro: cpuOnly ? [2] : [8, 4, 2, 1],
      overrides: {},
    },
  ].map((s) => (cpuOnly ? { ...s, name: `${s.name} (shrunk)`, overrides: SHRUNK } : s));
}

/**
 * The resolved config of one timed run: the base file, then its overrides, then the bench's keys
 * (bf16 instead of Pythia's fp16, no ZeRO and no activation checkpointing, as PyTorch eager keeps
 * every activation too and MFU does not count recomputation; a log line every iteration; no
 * evaluation). `root` is the repository root the base path is read from.
 */
export function benchConfig(root: string, s: TrainShape, micro: number, iters: number): ResolvedConfig {
  const path = join(root, s.base);
  if (!existsSync(path))
    throw new Error(`bench:gpu: ${path} is missing (run from the repository root, or pass --root)`);
  const training = {
    train_micro_batch_size_per_gpu: micro,
    gradient_accumulation_steps: 1,
    train_iters: iters,
    lr_decay_iters: iters,
    lr_decay_style: "constant",
    warmup: 0.0,
    log_interval: 1,
    eval_interval: iters + 1,
    eval_iters: 0,
    checkpoint_activations: false,
    precision: "bfloat16",
    fp16: { enabled: false },
    bf16: { enabled: true },
    zero_optimization: { stage: 0 },
    extra_save_iters: null,
    seed: 1234,
  };
  const parsed: ParsedFile[] = [parseConfigText(readFileSync(path, "utf8"), path)];
  if (Object.keys(s.overrides).length > 0)
    parsed.push(parseConfigText(JSON.stringify(s.overrides), `bench-gpu/${s.name}-shape.yml`));
  parsed.push(parseConfigText(JSON.stringify(training), `bench-gpu/${s.name}-train.yml`));
  const r = withVocabSize(resolveParsed(parsed, { vocabSize: VOCAB }), VOCAB);
  const problems = r.problems.filter((p) => p.kind !== "incomplete");
  if (problems.length > 0)
    throw new Error(`bench:gpu config ${s.name}: ${problems.map(formatProblem).join("; ")}`);
  if (r.derived.padded_vocab_size !== VOCAB)
    throw new Error(
      `bench:gpu config ${s.name}: padded_vocab_size is ${r.derived.padded_vocab_size}, expected ${VOCAB}`,
    );
  return r;
}

/** The architecture PyTorch builds for a resolved config (bench_torch_gpu.py's --spec). */
export function torchSpec(r: ResolvedConfig, micro: number) {
  const v = r.values;
  return {
    layers: v.num_layers as number,
    d: v.hidden_size as number,
    heads: v.num_attention_heads as number,
    seq: v.seq_length as number,
    batch: micro,
    vocab: r.derived.padded_vocab_size as number,
    rotary_pct: v.rotary_pct as number,
    gelu: v.bias_gelu_fusion ? "tanh" : "none",
  };
}
