// `pnpm bench:engine`: trains the engine stack (stack.ts) with a planned step at 4 layers, d256,
// 4 heads, seq 256, micro-batch 8, vocab 50304 on 2 threads, in fp32 and with bf16 GEMMs, beside
// PyTorch on the same shape (tools/fixtures/engine/bench_torch.py, re-measured when Debian's
// python3-torch is installed; else perf-anchors.md's 776 tok/s). Prints a table and writes
// bench-results/engine.json. Env: NEOX_BENCH_STEPS (default 5), NEOX_BENCH_TORCH=0 to skip PyTorch,
// NEOX_BENCH_PROFILE=1 to print time per kernel, NEOX_BENCH_EAGER=0 to skip the eager comparison step.

import { execFileSync } from "node:child_process";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setNumThreads } from "@neox/kernels";
import { allocStats, fill, Plan, scope, Tensor } from "../src/index";
import { EngineStack, type StackConfig } from "./stack";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const ANCHOR_TOKENS_PER_SEC = 776; // perf-anchors.md: PyTorch 1.13 CPU, 2 threads, this shape
const THREADS = 2;
const STEPS = Number(process.env.NEOX_BENCH_STEPS ?? 5);
const SHAPE = { layers: 4, d: 256, heads: 4, seq: 256, batch: 8, vocab: 50304, rotaryPct: 0.25 };

interface Run {
  tokens_per_sec: number;
  seconds_per_step: number;
  first_loss: number;
  last_loss: number;
  launches_per_step: number;
  arena_mb: number;
  allocation_calls_per_step: number;
  /** One eager (unplanned) step, for comparison; NaN when skipped. */
  eager_tokens_per_sec: number;
}

// Seeded uniform noise scaled to std 0.02 (initial weights need no particular law to be timed).
function noise(n: number, seed: number, std: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  const k = std * Math.sqrt(12);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * k;
  }
  return out;
}

// Norm weights 1, biases 0 (GPT-NeoX's initialisation), then the bf16 working copy.
function initNorms(stack: EngineStack): void {
  for (const [name, p] of stack.params.params) {
    if (name.endsWith("layernorm.weight")) p.write(new Float32Array(p.numel).fill(1));
    else if (name.endsWith(".bias")) p.write(new Float32Array(p.numel));
  }
  stack.params.refreshLowp();
}

function benchPrecision(precision: "fp32" | "bf16"): Run {
  const cfg: StackConfig = { ...SHAPE, precision, lr: 1e-4 };
  const stack = new EngineStack(cfg);
  stack.params.data.write(noise(stack.params.numel, 1, 0.02));
  initNorms(stack);
  const n = cfg.batch * cfg.seq;
  const ids = (seed: number) =>
    Array.from(noise(n, seed, 0.25), (x) => Math.floor((x / Math.sqrt(3) + 0.5) * cfg.vocab));
  const tokens = Tensor.fromArray(ids(7), [n], { dtype: "i32" });
  const targets = Tensor.fromArray(ids(8), [n], { dtype: "i32" });

  // Eager steps for comparison (fresh buffers every step), unless NEOX_BENCH_EAGER=0.
  let eagerSeconds = Number.NaN;
  if (process.env.NEOX_BENCH_EAGER !== "0") {
    const eagerStep = (t: number) => {
      stack.opt.t.value = t;
      scope(() => stack.trainStep(tokens, targets).item());
    };
    eagerStep(1);
    const e0 = performance.now();
    eagerStep(2);
    eagerSeconds = (performance.now() - e0) / 1000;
    stack.params.data.write(noise(stack.params.numel, 1, 0.02)); // back to the same start
    fill(stack.opt.m, 0);
    fill(stack.opt.v, 0);
    initNorms(stack);
  }

  stack.opt.t.value = 1;
  const { plan, result } = Plan.record(() => scope(() => stack.trainStep(tokens, targets)));
  const firstLoss = result.item();
  const loss = plan.tensor(result);
  result.dispose();
  stack.opt.t.value = 2;
  plan.run(); // warm-up
  const before = allocStats();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) {
    stack.opt.t.value = 3 + i;
    plan.run();
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = allocStats();
  if (process.env.NEOX_BENCH_PROFILE === "1") {
    const prof = [...plan.profile()].sort((a, b) => b[1].ms - a[1].ms);
    console.log(`\n${precision} step profile (one replay):`);
    for (const [name, p] of prof)
      console.log(
        `  ${name.padEnd(24)} ${String(p.calls).padStart(4)} calls ${p.ms.toFixed(1).padStart(8)} ms`,
      );
  }
  const run: Run = {
    tokens_per_sec: (STEPS * n) / seconds,
    seconds_per_step: seconds / STEPS,
    first_loss: firstLoss,
    last_loss: loss.item(),
    launches_per_step: plan.stats.launches,
    arena_mb: plan.stats.arenaBytes / 2 ** 20,
    allocation_calls_per_step: (after.calls - before.calls) / STEPS,
    eager_tokens_per_sec: n / eagerSeconds,
  };
  loss.dispose();
  plan.dispose();
  stack.dispose();
  tokens.dispose();
  targets.dispose();
  return run;
}

function torchAnchor(): { tokens_per_sec: number; source: string } {
  const fallback = {
    tokens_per_sec: ANCHOR_TOKENS_PER_SEC,
    source: "perf-anchors.md (PyTorch 1.13, 2 threads)",
  };
  if (process.env.NEOX_BENCH_TORCH === "0") return fallback;
  const script = join(ROOT, "tools", "fixtures", "engine", "bench_torch.py");
  try {
    const out = execFileSync(
      "/usr/bin/python3",
      [script, "--steps", String(STEPS), "--threads", String(THREADS)],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, OMP_NUM_THREADS: String(THREADS) },
      },
    );
    const line = out.trim().split("\n").pop() ?? "";
    const parsed = JSON.parse(line) as { tokens_per_sec: number; torch: string };
    return {
      tokens_per_sec: parsed.tokens_per_sec,
      source: `measured now: bench_torch.py, torch ${parsed.torch}`,
    };
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    console.warn(
      `PyTorch anchor not re-measured (${why}); using ${ANCHOR_TOKENS_PER_SEC} tok/s from perf-anchors.md`,
    );
    return fallback;
  }
}

function main(): void {
  setNumThreads(THREADS);
  const fp32 = benchPrecision("fp32");
  const bf16 = benchPrecision("bf16");
  const anchor = torchAnchor();
  const ratio = fp32.tokens_per_sec / anchor.tokens_per_sec;
  const rows = [
    ["engine fp32 (planned)", fp32],
    ["engine bf16 GEMMs (planned)", bf16],
  ] as const;
  console.log(
    `\nengine: ${SHAPE.layers} layers, d${SHAPE.d}, ${SHAPE.heads} heads, seq ${SHAPE.seq}, micro-batch ${SHAPE.batch}, vocab ${SHAPE.vocab}, ${THREADS} threads, ${STEPS} timed steps`,
  );
  console.log(
    "| run | tokens/s | s/step | vs PyTorch | eager tokens/s | loss first -> last | launches | arena MiB | allocs/step |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const [name, r] of rows) {
    console.log(
      `| ${name} | ${r.tokens_per_sec.toFixed(0)} | ${r.seconds_per_step.toFixed(3)} | ${(r.tokens_per_sec / anchor.tokens_per_sec).toFixed(2)}x | ${Number.isNaN(r.eager_tokens_per_sec) ? "-" : r.eager_tokens_per_sec.toFixed(0)} | ${r.first_loss.toFixed(4)} -> ${r.last_loss.toFixed(4)} | ${r.launches_per_step} | ${r.arena_mb.toFixed(0)} | ${r.allocation_calls_per_step} |`,
    );
  }
  console.log(
    `| PyTorch anchor (${anchor.source}) | ${anchor.tokens_per_sec.toFixed(0)} | | 1.00x | | | | | |`,
  );
  console.log(`fp32 ratio ${ratio.toFixed(2)}x (goal >= 1.5x)`);
  const json = {
    shape: { ...SHAPE, threads: THREADS, steps: STEPS },
    fp32,
    bf16,
    anchor_tokens_per_sec: anchor.tokens_per_sec,
    anchor_source: anchor.source,
    ratio,
    bf16_ratio: bf16.tokens_per_sec / anchor.tokens_per_sec,
  };
  const dir = join(ROOT, "bench-results");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "engine.json");
  writeFileSync(`${path}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  console.log(`wrote ${path}`);
}

main();
