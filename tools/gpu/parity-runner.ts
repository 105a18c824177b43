// The GPU op parity table (packages/tensor/test/gpu-parity-cases.ts) under plain Node, for the GPU
// machine, which has no node_modules: pack-node.sh bundles this file with esbuild and
// device-check.sh runs the bundle. Every case runs on the CPU backend and on cuda:0 and is
// compared as ops-parity.gpu.test.ts compares it; the deterministic backwards run twice on the GPU
// and must give the same bits. Prints one line per case and writes a JSON report to argv[2].
// Exit status 1 when any case fails (or CUDA is unusable). `--cpu` compares the CPU backend with
// itself instead (a check of the runner and its bundle on a machine without a GPU).
import { writeFileSync } from "node:fs";
import { loadCuda } from "../../packages/kernels/src/index";
import { getBackend } from "../../packages/tensor/src/index";
import {
  type Case,
  cases,
  compareCase,
  type HostArray,
  runOn,
} from "../../packages/tensor/test/gpu-parity-cases";

interface Result {
  name: string;
  kernel: string;
  ok: boolean;
  errors: { buffer: string; err: number; tol: number }[];
  failure?: string;
  ms: number;
}

const sameBits = (a: HostArray, b: HostArray) =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) === 0;

function main(): number {
  const cpuOnly = process.argv.includes("--cpu");
  const report = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? "parity-report.json";
  const cuda = cpuOnly ? undefined : loadCuda();
  if (cuda)
    console.log(
      `CUDA: ${cuda.library} ABI ${cuda.abiVersion}, ${cuda.devices.map((d) => d.name).join(", ")}`,
    );
  const cpu = getBackend("cpu");
  const gpu = getBackend(cpuOnly ? "cpu" : "cuda:0");
  const results: Result[] = [];
  for (const c of cases) {
    const t0 = performance.now();
    const result: Result = { name: c.name, kernel: c.kernel, ok: false, errors: [], ms: 0 };
    try {
      const want = runOn(cpu, c);
      const got = runOn(gpu, c);
      result.errors = compareCase(c, got, want);
      result.ok = result.errors.every((e) => e.err <= e.tol);
    } catch (error) {
      result.failure = error instanceof Error ? error.message : String(error);
    }
    result.ms = performance.now() - t0;
    results.push(result);
    const detail =
      result.failure ??
      result.errors.map((e) => `${e.buffer} ${e.err.toExponential(2)} (tol ${e.tol})`).join(", ");
    console.log(`${result.ok ? "PASS" : "FAIL"} ${c.name}: ${detail}`);
  }
  // Reproducibility: the same launch twice gives the same bits.
  for (const name of [
    "embeddingBackward",
    "attentionBackward GQA 4/2, ALiBi",
    "biasAddBackward",
    "prepareGrads",
  ]) {
    const c = cases.find((x: Case) => x.name === name)!;
    const result: Result = { name: `deterministic: ${name}`, kernel: c.kernel, ok: false, errors: [], ms: 0 };
    try {
      const a = runOn(gpu, c);
      const b = runOn(gpu, c);
      result.ok = Object.keys(c.compare).every((k) => sameBits(a[k]!, b[k]!));
    } catch (error) {
      result.failure = error instanceof Error ? error.message : String(error);
    }
    results.push(result);
    console.log(
      `${result.ok ? "PASS" : "FAIL"} ${result.name}${result.failure ? `: ${result.failure}` : ""}`,
    );
  }
  const failed = results.filter((r) => !r.ok);
  writeFileSync(
    report,
    `${JSON.stringify({ device: cuda?.devices[0] ?? "cpu", results, failed: failed.length }, null, 1)}\n`,
  );
  console.log(`${results.length - failed.length}/${results.length} passed; report in ${report}`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = main();
