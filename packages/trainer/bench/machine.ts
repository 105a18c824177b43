// What `pnpm bench:train` measures beside the trainer: the CPU's FMA and bf16 peaks (the kernels'
// peakGflops through @neox/tensor), and
// PyTorch on the same shape and step (tools/fixtures/engine/bench_torch.py, with clipping).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isa, peakGflops, peakHasBf16 } from "@neox/tensor";
import { type BenchShape, CLIP, LR, type Precision, ROOT, VOCAB, WARMUP } from "./shapes";

export interface Peaks {
  /** GFLOP/s of `threads` threads; bf16 null where the CPU has no vdpbf16ps. */
  fp32: number;
  bf16: number | null;
  isa: string;
}

/** The measured peaks of `threads` threads (the kernels' peakGflops, re-exported by @neox/tensor). */
export function measurePeaks(threads: number, seconds = 1): Peaks {
  const fp32 = peakGflops("fp32", threads, seconds);
  const bf16 = peakHasBf16() ? peakGflops("bf16", threads, seconds) : null;
  return { fp32, bf16, isa: isa() };
}

export interface TorchRun {
  tokens_per_sec: number;
  seconds_per_step: number;
  torch: string;
}

/** PyTorch's median tokens/s on the same shape and step; null, with the reason printed, when it cannot run. */
export function benchTorch(
  shape: BenchShape,
  precision: Precision,
  steps: number,
  threads: number,
  wait: "default" | "passive",
): TorchRun | null {
  const script = join(ROOT, "tools", "fixtures", "engine", "bench_torch.py");
  const args = [script, "--steps", String(steps), "--warmup", String(WARMUP), "--threads", String(threads)];
  for (const k of ["layers", "d", "heads", "seq", "batch"] as const) args.push(`--${k}`, String(shape[k]));
  args.push("--vocab", String(VOCAB), "--gelu", shape.gelu, "--precision", precision);
  args.push("--clip", String(CLIP), "--lr", String(LR));
  try {
    const out = execFileSync("/usr/bin/python3", args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      // Two settings: PyTorch as a user runs it (OpenMP's default wait policy, what the perf anchors
      // list), and with OMP_WAIT_POLICY=PASSIVE, which the anchors found faster at these sizes (idle
      // OpenMP threads sleep instead of spinning against the other thread).
      env: torchEnv(threads, wait),
    });
    return JSON.parse(out.trim().split("\n").pop() ?? "") as TorchRun;
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    console.warn(`PyTorch not measured for ${shape.name} ${precision}: ${why}`);
    return null;
  }
}

function torchEnv(threads: number, wait: "default" | "passive"): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
  if (wait === "passive") env.OMP_WAIT_POLICY = "PASSIVE";
  else delete env.OMP_WAIT_POLICY;
  return env;
}

/** Why PyTorch cannot run here (no /usr/bin/python3, or no torch in it), or null when it can. */
export function torchMissing(): string | null {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" });
    return null;
  } catch {
    return "/usr/bin/python3 cannot import torch (install Debian's python3-torch)";
  }
}

/** The CPU's model name from /proc/cpuinfo ("model name"), else "unknown CPU". */
export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1]!.trim();
  } catch {}
  return "unknown CPU";
}
