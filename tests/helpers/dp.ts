// Shared by the data-parallel e2e tests: a small corpus and tiny model config in a temporary
// directory, `neox train` on it with --set overrides, and readers of what a run leaves behind
// (metrics.jsonl losses, safetensors checkpoints) with the distances the tests compare them by.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { writeRandomCorpus } from "./corpus";
import { runNeoxAsync } from "./spawn-neox";

/** Writes `dir`/corpus (300 documents of 20-120 random bytes in 1..255) and `dir`/model.yml. */
export function writeDpFixture(dir: string): void {
  writeRandomCorpus(join(dir, "corpus"), 300, 101, 11);
  writeFileSync(
    join(dir, "model.yml"),
    [
      "num_layers: 2",
      "hidden_size: 32",
      "num_attention_heads: 4",
      "seq_length: 16",
      "max_position_embeddings: 16",
      "pos_emb: rotary",
      "tokenizer_type: CharLevelTokenizer",
      "train_micro_batch_size_per_gpu: 2",
      "gradient_clipping: 1.0",
      "lr_decay_iters: 100",
      "checkpoint_factor: 1000",
      "eval_interval: 1000",
      "eval_iters: 1",
      "log_interval: 1",
      `data_path: ${join(dir, "corpus")}`,
      'split: "900,100,0"',
      "",
    ].join("\n"),
  );
}

/**
 * `neox train dir/model.yml` with `sets` as --set overrides, saving to dir/name/ckpt and logging to
 * dir/name/logs (a second run under the same name appends to the first one's metrics).
 */
export function runTrain(dir: string, name: string, sets: string[], env: Record<string, string> = {}) {
  const out = join(dir, name);
  return runNeoxAsync(
    [
      "train",
      join(dir, "model.yml"),
      ...sets.flatMap((s) => ["--set", s]),
      ...["--set", `save=${join(out, "ckpt")}`, "--set", `log_dir=${join(out, "logs")}`],
    ],
    { env },
  ).then((f) => ({ ...f, out }));
}

/** A metric's values in logging order from a run's metrics.jsonl (train/lm_loss: one per iteration). */
export function losses(logDir: string, metric = "train/lm_loss"): number[] {
  return readFileSync(join(logDir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.includes(`"${metric}"`))
    .map((l) => JSON.parse(l) as Record<string, number>)
    .map((r) => r[metric]!);
}

/** Every f32 tensor of a safetensors file by name. */
export function tensors(path: string): Map<string, Float32Array> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")) as Record<
    string,
    { dtype: string; data_offsets: [number, number] }
  >;
  const out = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    expect(t.dtype, `${path}: ${name}`).toBe("F32");
    const [a, b] = t.data_offsets;
    const bytes = buf.subarray(8 + n + a, 8 + n + b);
    out.set(name, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
  }
  return out;
}

/** Largest |a - b| over two maps of equal names. */
export function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let worst = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst;
}

/** Largest |a - b| / max|b| of each tensor, over two maps of equal names. */
export function maxScaledDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  expect(a.size).toBeGreaterThan(0);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let worst = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    const scale = y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    if (scale === 0) continue;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / scale);
  }
  return worst;
}
