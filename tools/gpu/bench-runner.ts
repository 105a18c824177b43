// `pnpm bench:gpu`: our GEMM and training speed on cuda:0 beside PyTorch on the same GPU in the
// same run. GEMM TFLOP/s of our bf16 and fp32 GEMM against torch.matmul (cuBLAS), and training
// tokens/s and MFU of the real Trainer at the Pythia-160M and -410M shapes (seq 2048, bf16) against
// PyTorch eager (tools/gpu/bench_torch_gpu.py). Goals (the GPU issue): ≥ 50 % MFU and ≥ 1.2× PyTorch.
//
//   node --conditions=@neox/source --import tsx tools/gpu/bench-runner.ts [REPORT.json]
//        [--cpu-only] [--budget SECONDS] [--steps N] [--root DIR]
//
// Each of our measurements runs in a child process of this script (bench-measure.ts) under a
// timeout carved from --budget (default 300 s), and the report is rewritten after each, so a crash
// or a hang loses one row, not the run. --cpu-only shrinks the shapes and runs everything on the
// CPU: a check of this script's logic on a machine without a GPU, not of its speed. PyTorch is
// skipped, with the reason, when no python3 on the PATH (or /usr/bin/python3) imports torch.
// Exit status 1 when a measurement failed (goals not met are reported, not failed).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadCuda } from "../../packages/kernels/src/index";
import { modelInfo } from "../../packages/models/src/index";
import { type Device, peakGflops, peakHasBf16 } from "../../packages/tensor/src/index";
import { trainMemoryOf } from "../../packages/trainer/src/index";
import { type GemmResult, measureGemms, measureTraining, type TrainResult } from "./bench-measure";
import { benchConfig, gemmShapes, peakBf16Tflops, torchSpec, trainShapes, WARMUP } from "./bench-shapes";
import { formatTables } from "./bench-table";

const GOAL_MFU = 0.5;
const GOAL_RATIO = 1.2;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command, its stderr passed through, killed (SIGKILL) after `seconds`. */
function run(cmd: string, args: string[], seconds: number): Promise<Proc> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, seconds * 1000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      process.stderr.write(d);
    });
    child.on("error", (e) => {
      stderr += String(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** The JSON of a child's `RESULT` line, or an error naming how the child ended. */
function resultOf<T>(what: string, p: Proc): T | { error: string } {
  const line = p.stdout.split("\n").findLast((l) => l.startsWith("RESULT "));
  if (line) return JSON.parse(line.slice(7)) as T;
  const why = p.timedOut ? "timed out" : `exited ${p.code}`;
  const tail = p.stderr.trim().split("\n").slice(-3).join(" | ");
  return { error: `${what} ${why}${tail ? `: ${tail}` : ""}`.slice(0, 600) };
}

/** This script again, as a child: same Node flags (tsx here, none in the bundle). */
function child(args: string[], seconds: number): Promise<Proc> {
  return run(process.execPath, [...process.execArgv, process.argv[1]!, ...args], seconds);
}

/** A python3 that imports torch (NEOX_TORCH_PYTHON, python3 on the PATH, /usr/bin/python3), or why none. */
function torchPython(): { python: string } | { missing: string } {
  const tried = [process.env.NEOX_TORCH_PYTHON, "python3", "/usr/bin/python3"].filter(
    (p): p is string => !!p,
  );
  for (const python of tried)
    if (spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0) return { python };
  return { missing: `none of ${tried.join(", ")} imports torch` };
}

/** The child modes: `--child gemm` and `--child train <shape index> <micro> <steps> <budget s>`. */
async function childMain(mode: string, cpuOnly: boolean, root: string): Promise<void> {
  const device: Device = cpuOnly ? "cpu" : "cuda:0";
  const rest = process.argv.slice(process.argv.indexOf("--child") + 2);
  let result: unknown;
  if (mode === "gemm") result = measureGemms(device, gemmShapes(cpuOnly));
  else if (mode === "train") {
    const [index, micro, steps, budget] = rest.map(Number) as [number, number, number, number];
    result = await measureTraining(root, device, trainShapes(cpuOnly)[index]!, micro, steps, budget);
  } else throw new Error(`bench-runner: unknown --child mode "${mode}"`);
  console.log(`RESULT ${JSON.stringify(result)}`);
}

async function main(): Promise<number> {
  const cpuOnly = process.argv.includes("--cpu-only");
  const root = arg("--root") ?? process.cwd();
  const mode = arg("--child");
  if (mode) {
    await childMain(mode, cpuOnly, root);
    return 0;
  }
  const flags = new Set(["--budget", "--steps", "--root"]);
  const reportPath =
    process.argv.slice(2).find((a, i, all) => !a.startsWith("--") && !flags.has(all[i - 1]!)) ??
    defaultReport("gpu.json");
  const budget = Number(arg("--budget") ?? 300);
  const steps = Number(arg("--steps") ?? 5);
  const t0 = performance.now();
  const left = () => budget - (performance.now() - t0) / 1000;
  const common = [...(cpuOnly ? ["--cpu-only"] : []), "--root", root];

  // The device and its peak: from the name on a GPU; on the CPU the measured peak of 2 threads.
  let device: { name: string; total_memory: number | null };
  let peakTflops: number | null;
  let peakSource: string;
  if (cpuOnly) {
    device = { name: "cpu", total_memory: null };
    const kind = peakHasBf16() ? "bf16" : "fp32";
    peakTflops = peakGflops(kind, 2) / 1000;
    peakSource = `measured CPU ${kind} FMA peak, 2 threads`;
  } else {
    const d = loadCuda().devices[0];
    if (!d) throw new Error("bench-runner: CUDA has no device 0");
    device = { name: d.name, total_memory: d.totalMemory };
    peakTflops = peakBf16Tflops(d.name);
    peakSource = peakTflops
      ? "bf16 dense data-sheet peak by device name (bench-shapes.ts)"
      : "unknown device";
  }
  console.log(
    `bench:gpu on ${device.name}; peak ${peakTflops?.toPrecision(3) ?? "?"} TFLOP/s (${peakSource})`,
  );

  const report: Record<string, unknown> = {
    device,
    peak_tflops: peakTflops,
    peak_source: peakSource,
    cpu_only: cpuOnly,
  };
  const save = () => writeFileSync(reportPath, `${JSON.stringify(report, null, 1)}\n`);
  const errors: string[] = [];

  // Our GEMMs.
  const gemm = resultOf<GemmResult[]>(
    "gemm",
    await child(["--child", "gemm", ...common], Math.min(90, left())),
  );
  if ("error" in gemm) errors.push(gemm.error);
  report.gemm = gemm;
  save();

  // The training shapes, each with the largest listed micro-batch the dry run fits in 85 % of memory.
  const shapes = trainShapes(cpuOnly).map((s, index) => {
    const fits = (m: number) =>
      device.total_memory === null ||
      trainMemoryOf(benchConfig(root, s, m, 1)).total <= 0.85 * device.total_memory;
    const micro = s.micro.find(fits) ?? s.micro.at(-1)!;
    const r = benchConfig(root, s, micro, 1);
    return {
      shape: s,
      index,
      micro,
      spec: torchSpec(r, micro),
      flopsPerToken: modelInfo(r).info.flops_per_token,
    };
  });

  // PyTorch on the same device: the cuBLAS anchor and the same training shapes.
  const py = torchPython();
  if ("missing" in py) report.torch = { skipped: py.missing };
  else {
    const spec = {
      device: cpuOnly ? "cpu" : "cuda",
      gemm: gemmShapes(cpuOnly),
      train: shapes.map((s) => ({ name: s.shape.name, ...s.spec })),
      steps,
      warmup: WARMUP,
    };
    const script = join(root, "tools", "gpu", "bench_torch_gpu.py");
    const args = [script, "--spec", JSON.stringify(spec), ...(cpuOnly ? ["--threads", "2"] : [])];
    const p = await run(py.python, args, Math.max(30, Math.min(180, left() * 0.4)));
    const line = p.stdout.trim().split("\n").at(-1) ?? "";
    report.torch = line.startsWith("{") ? JSON.parse(line) : resultOf("torch", p);
    if ("error" in (report.torch as object)) errors.push((report.torch as { error: string }).error);
  }
  save();

  // Our training runs, one child each, sharing what is left of the budget.
  const train: (TrainResult | { name: string; error: string })[] = [];
  for (const [i, s] of shapes.entries()) {
    const seconds = Math.max(20, left() / (shapes.length - i) - 2);
    const args = ["--child", "train", String(s.index), String(s.micro), String(steps), String(seconds * 0.6)];
    const r = resultOf<TrainResult>(s.shape.name, await child([...args, ...common], seconds));
    if ("error" in r) errors.push(r.error);
    train.push("error" in r ? { name: s.shape.name, error: r.error } : r);
    report.train = train.map((t, j) => ({
      ...t,
      micro: shapes[j]!.micro,
      flops_per_token: shapes[j]!.flopsPerToken,
    }));
    save();
  }

  const tables = formatTables(report, { goalMfu: GOAL_MFU, goalRatio: GOAL_RATIO });
  report.summary = tables.rows;
  report.errors = errors;
  report.seconds = (performance.now() - t0) / 1000;
  save();
  console.log(tables.text);
  console.log(
    `REPORT ${JSON.stringify({ device: device.name, summary: tables.rows, errors: errors.length })}`,
  );
  return errors.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`bench-runner: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  },
);

/** Where a report goes without a path given: bench-results/ (ignored by git), as the other benches'. */
function defaultReport(name: string): string {
  const dir = join(import.meta.dirname ?? ".", "..", "..", "bench-results");
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
