// Runs the PyTorch references in tools/fixtures/hf with Debian's /usr/bin/python3 (python3-torch,
// CPU). CI installs torch; a machine without it skips the parity tests with a message saying so.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..", "..", "..");
export const HF_FIXTURES = join(REPO_ROOT, "tools", "fixtures", "hf");
export const PYTHON = "/usr/bin/python3";

/** Why the PyTorch references cannot run here, or null when they can. */
export function torchMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (install python3 and python3-torch)`;
  const r = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  return r.status === 0
    ? null
    : `${PYTHON} cannot import torch (apt-get install python3-torch): ${r.stderr.trim()}`;
}

/** Runs tools/fixtures/hf/<script> with args and parses its stdout as JSON; throws with stderr on failure. */
export function runFixture<T>(script: string, args: readonly string[], timeoutMs = 120_000): T {
  const r = spawnSync(PYTHON, [join(HF_FIXTURES, script), ...args], {
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`${script} ${args.join(" ")} exited ${r.status ?? r.signal}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * hf_reference.py's logits for one sequence, row t after ids[0..t], flattened (T·V). `strict`: the
 * reference refuses a config.json that leaves out a field it reads (an exporter must state them
 * all rather than lean on transformers' defaults).
 */
export function referenceLogits(dir: string, ids: readonly number[], strict = false): Float32Array {
  const args = ["logits", dir, "--ids", ids.join(","), ...(strict ? ["--strict"] : [])];
  const out = runFixture<{ logits: number[][] }>("hf_reference.py", args);
  return Float32Array.from(out.logits.flat());
}

/** hf_reference.py's greedy continuation: the prompt followed by `n` argmax tokens. */
export function referenceGenerate(dir: string, ids: readonly number[], n: number): number[] {
  return runFixture<{ ids: number[] }>("hf_reference.py", [
    "generate",
    dir,
    "--ids",
    ids.join(","),
    "--new",
    String(n),
  ]).ids;
}

/**
 * max |a - b| / max |b|: the parity measure. Per-element relative error is meaningless for logits
 * near zero; scaling by the largest reference logit compares every difference with the size of
 * what the model outputs.
 */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`relativeError: lengths ${a.length} and ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}
