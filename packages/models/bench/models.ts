// `pnpm bench:models`: forward + backward + AdamW tokens/s of the GPT-NeoX model, built from a
// config, as a planned step (Plan.record, then replays with zero allocations) on 2 threads, in fp32
// and with bf16 GEMMs (the registry's bf16 working copy, refreshed by AdamW.update), at two shapes:
//   engine      4 layers, d256, 4 heads, seq 256, micro-batch 8, vocab 50304 (the shape the tensor
//               engine's stack was benchmarked at: parallel residual, rotary_pct 0.25, exact GELU,
//               untied head)
//   pythia-70m  configs/pythia/70M.yml (6 layers, d512, 8 heads, tanh GELU), vocab padded to
//               50304, seq 512, micro-batch 4
// PyTorch runs the same shapes and step in the same run (tools/fixtures/engine/bench_torch.py,
// Debian's python3-torch at /usr/bin/python3; bf16 rows under CPU autocast). Prints a table and
// merges into bench-results/models.json.
// Env: NEOX_BENCH_STEPS (timed steps, default 5; the median is reported), NEOX_BENCH_TORCH=0 to skip
// PyTorch, NEOX_BENCH_SHAPES=engine,pythia-70m to pick shapes, NEOX_BENCH_PROFILE=1 for time per
// kernel.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import {
  formatProblem,
  loadConfig,
  parseConfigText,
  type ResolvedConfig,
  resolveParsed,
  withVocabSize,
} from "@neox/config";
import { AdamW, allocStats, backward, Plan, scope, setNumThreads, Tensor } from "@neox/tensor";
import { GptNeoXModel } from "../src/index";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const THREADS = 2;
const STEPS = Number(process.env.NEOX_BENCH_STEPS ?? 5);
const VOCAB = 50304; // GPT-NeoX-20B tokenizer's 50277 padded to a multiple of 128
const LR = 1e-4;

interface Shape {
  name: string;
  layers: number;
  d: number;
  heads: number;
  seq: number;
  batch: number;
  /** "none" (exact) or "tanh", as the config selects it (bias_gelu_fusion). */
  gelu: "none" | "tanh";
  config: () => ResolvedConfig;
}

// The engine stack's shape, written as the GPT-NeoX config that builds it.
const ENGINE_YAML = `
num_layers: 4
hidden_size: 256
num_attention_heads: 4
seq_length: 256
max_position_embeddings: 256
pos_emb: rotary
rotary_pct: 0.25
gpt_j_residual: true
no_weight_tying: true
norm: layernorm
bias_gelu_fusion: false
hidden_dropout: 0.0
attention_dropout: 0.0
make_vocab_size_divisible_by: 128
train_micro_batch_size_per_gpu: 8
`;

const SHAPES: Shape[] = [
  {
    name: "engine",
    layers: 4,
    d: 256,
    heads: 4,
    seq: 256,
    batch: 8,
    gelu: "none",
    config: () => withVocabSize(resolveParsed([parseConfigText(ENGINE_YAML, "bench/engine.yml")], {}), VOCAB),
  },
  {
    name: "pythia-70m",
    layers: 6,
    d: 512,
    heads: 8,
    seq: 512,
    batch: 4,
    gelu: "tanh",
    config: () => withVocabSize(loadConfig([join(ROOT, "configs", "pythia", "70M.yml")]), VOCAB),
  },
];

interface Run {
  tokens_per_sec: number;
  seconds_per_step: number;
  first_loss: number;
  last_loss: number;
  launches_per_step: number;
  arena_mb: number;
  allocation_calls_per_step: number;
}

interface TorchRun {
  tokens_per_sec: number;
  seconds_per_step: number;
  torch: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// Seeded token ids in [0, vocab).
function ids(n: number, vocab: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.floor((s / 4294967296) * vocab);
  }
  return out;
}

function benchModel(shape: Shape, precision: "fp32" | "bf16"): Run {
  const r = shape.config();
  if (r.problems.length > 0) {
    throw new Error(`bench config ${shape.name}: ${r.problems.map(formatProblem).join("; ")}`);
  }
  const model = GptNeoXModel.fromConfig(r, { lowp: precision === "bf16" });
  const { batch: B, seq: T } = shape;
  if (model.spec.V !== VOCAB) throw new Error(`${shape.name}: vocab ${model.spec.V}, expected ${VOCAB}`);
  const flat = model.registry.flat;
  const opt = new AdamW(flat, { lr: LR, weightDecay: 0.1 });
  const x = Tensor.fromArray(ids(B * T, VOCAB, 7), [B, T], { dtype: "i32" });
  const y = Tensor.fromArray(ids(B * T, VOCAB, 8), [B, T], { dtype: "i32" });
  try {
    model.prepare(B, T);
    opt.scalars.set({ step: 1 });
    const { plan, result } = Plan.record(() =>
      scope(() => {
        flat.zeroGrad();
        const loss = model.loss(x, y);
        backward(loss);
        opt.prepareGrads();
        opt.update(); // also refreshes the bf16 working copy
        return loss;
      }),
    );
    const firstLoss = result.item();
    const loss = plan.tensor(result);
    result.dispose();
    opt.scalars.set({ step: 2 });
    plan.run(); // warm-up
    const times: number[] = [];
    const before = allocStats();
    for (let i = 0; i < STEPS; i++) {
      opt.scalars.set({ step: 3 + i });
      const t0 = performance.now();
      plan.run();
      times.push((performance.now() - t0) / 1000);
    }
    const after = allocStats();
    if (process.env.NEOX_BENCH_PROFILE === "1") {
      const prof = [...plan.profile()].sort((a, b) => b[1].ms - a[1].ms);
      console.log(`\n${shape.name} ${precision} step profile (one replay):`);
      for (const [name, p] of prof)
        console.log(
          `  ${name.padEnd(24)} ${String(p.calls).padStart(4)} calls ${p.ms.toFixed(1).padStart(8)} ms`,
        );
    }
    const seconds = median(times);
    const run: Run = {
      tokens_per_sec: (B * T) / seconds,
      seconds_per_step: seconds,
      first_loss: firstLoss,
      last_loss: loss.item(),
      launches_per_step: plan.stats.launches,
      arena_mb: plan.stats.arenaBytes / 2 ** 20,
      allocation_calls_per_step: (after.calls - before.calls) / STEPS,
    };
    loss.dispose();
    plan.dispose();
    return run;
  } finally {
    opt.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
  }
}

// PyTorch on the same shape and step; null (with the reason printed) when it cannot run.
function benchTorch(shape: Shape, precision: "fp32" | "bf16"): TorchRun | null {
  const script = join(ROOT, "tools", "fixtures", "engine", "bench_torch.py");
  const args = [script, "--steps", String(STEPS), "--threads", String(THREADS)];
  for (const k of ["layers", "d", "heads", "seq", "batch"] as const) args.push(`--${k}`, String(shape[k]));
  args.push("--vocab", String(VOCAB), "--gelu", shape.gelu, "--precision", precision);
  try {
    const out = execFileSync("/usr/bin/python3", args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, OMP_NUM_THREADS: String(THREADS) },
    });
    return JSON.parse(out.trim().split("\n").pop() ?? "") as TorchRun;
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    console.warn(`PyTorch not measured for ${shape.name} ${precision}: ${why}`);
    console.warn("  (needs /usr/bin/python3 with torch: Debian's python3-torch)");
    return null;
  }
}

function main(): void {
  setNumThreads(THREADS);
  const wanted = (process.env.NEOX_BENCH_SHAPES ?? "engine,pythia-70m").split(",");
  const withTorch = process.env.NEOX_BENCH_TORCH !== "0";
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  const results: Record<string, unknown> = {};
  console.log(
    `\nmodels: ${cpu}, ${THREADS} threads, median of ${STEPS} planned steps after one warm-up; load ${load}`,
  );
  console.log(
    "| shape | precision | tokens/s | s/step | PyTorch tokens/s | vs PyTorch | launches/step | arena MiB | allocs/step | loss first -> last |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const shape of SHAPES.filter((s) => wanted.includes(s.name))) {
    for (const precision of ["fp32", "bf16"] as const) {
      const run = benchModel(shape, precision);
      const torch = withTorch ? benchTorch(shape, precision) : null;
      const ratio = torch ? run.tokens_per_sec / torch.tokens_per_sec : Number.NaN;
      console.log(
        `| ${shape.name} | ${precision === "bf16" ? "bf16 GEMMs" : "fp32"} | ${run.tokens_per_sec.toFixed(0)} | ${run.seconds_per_step.toFixed(3)} | ${torch ? torch.tokens_per_sec.toFixed(0) : withTorch ? "missing" : "skipped"} | ${torch ? `${ratio.toFixed(2)}x` : "-"} | ${run.launches_per_step} | ${run.arena_mb.toFixed(0)} | ${run.allocation_calls_per_step} | ${run.first_loss.toFixed(4)} -> ${run.last_loss.toFixed(4)} |`,
      );
      results[`${shape.name}_${precision}`] = {
        shape: {
          layers: shape.layers,
          d: shape.d,
          heads: shape.heads,
          seq: shape.seq,
          batch: shape.batch,
          vocab: VOCAB,
        },
        ...run,
        torch_tokens_per_sec: torch?.tokens_per_sec ?? null,
        torch_version: torch?.torch ?? null,
        ratio_to_torch: torch ? ratio : null,
      };
    }
  }
  const meta = {
    cpu,
    threads: THREADS,
    steps: STEPS,
    load_average: load,
    units: "tokens/s = B·T / median seconds per step",
  };
  const dir = join(ROOT, "bench-results");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "models.json");
  const merged = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {};
  Object.assign(merged, results, { meta });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(merged, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  console.log(`wrote ${path}`);
}

main();
