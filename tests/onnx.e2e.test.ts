// `neox generate` and `neox eval` with --engine onnxruntime on the tiny Shakespeare checkpoint
// (tests/helpers/tiny-checkpoint.ts) exported by @neox/convert's onnxExport: greedy samples equal
// the native engine's file record for record (but for the timings), with and without the KV-cache
// graph; eval's results equal the native engine's; a mismatched or missing graph is refused.
// Pythia-shaped model: partial rotary, parallel residual, untied head, char-level vocabulary.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runNeox } from "./helpers/run-neox";
import { haveShared } from "./helpers/shared";
import { inBatches, runNeoxAsync } from "./helpers/spawn-neox";
import { type TinyCheckpoint, tinyCheckpoint } from "./helpers/tiny-checkpoint";

const dir = mkdtempSync(join(tmpdir(), "neox-onnx-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const withoutTimes = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const { duration_seconds: _, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });

// The export runs as a process, @neox/convert's own onnx-export entry point (the same flags as
// `neox convert onnx-export`), as the other verbs here run through the neox command.
const TSX_LOADER = pathToFileURL(resolve(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;
function onnxExport(args: string[]): string {
  const main = resolve(REPO_ROOT, "packages/convert/src/onnx/export-main.ts");
  const r = spawnSync(
    process.execPath,
    ["--conditions=@neox/source", "--import", TSX_LOADER, main, ...args],
    {
      encoding: "utf8",
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe.runIf(haveShared())("--engine onnxruntime on the tiny checkpoint", () => {
  let ckpt: TinyCheckpoint;
  const model = join(dir, "model.onnx");
  const modelKv = join(dir, "model-kv.onnx");
  beforeAll(async () => {
    ckpt = await tinyCheckpoint();
    expect(onnxExport(["--input", ckpt.save, "--output", model])).toMatch(
      /inputs input_ids, attention_mask, position_ids\)/,
    );
    expect(onnxExport(["--input", ckpt.save, "--output", modelKv, "--kv-cache"])).toMatch(
      /past_key_values\.1\.value\)/,
    );
  }, 300_000);

  it("neox generate (greedy, input-file) writes the native engine's samples, with and without the KV cache", async () => {
    const input = join(dir, "prompts.txt");
    writeFileSync(input, "ROMEO:\n\nFirst Citizen:\n\nBut soft, what light\n");
    const out = (name: string) => join(dir, `${name}.jsonl`);
    const gen = (name: string, ...extra: string[]) => [
      "generate",
      ckpt.config,
      "--set",
      `sample_input_file=${input}`,
      "--set",
      `sample_output_file=${out(name)}`,
      "--set",
      "maximum_tokens=40",
      "--batch",
      "2",
      ...extra,
    ];
    const runs = await inBatches(2, [
      () => runNeoxAsync(gen("native")),
      () => runNeoxAsync(gen("ort", "--engine", "onnxruntime", "--onnx-model", model)),
      () => runNeoxAsync(gen("ort-kv", "--engine", "onnxruntime", "--onnx-model", modelKv)),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const native = withoutTimes(out("native"));
    expect(native.length).toBe(3);
    // the samples are real text, not empty
    expect(native.every((r) => (r.length as number) > 0)).toBe(true);
    expect(withoutTimes(out("ort"))).toEqual(native);
    expect(withoutTimes(out("ort-kv"))).toEqual(native);
  }, 300_000);

  it("neox eval on onnxruntime gives the native engine's results", async () => {
    const mc = join(dir, "choices.jsonl");
    writeFileSync(
      mc,
      [
        { context: "KING HENRY:\nWhat say you,", choices: ["my lord?", "qzxv jjk?"], label: 0 },
        { context: "First Citizen:\nWe are", choices: ["xqzk wvj", "accounted poor citizens"], label: 1 },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    const ev = (...extra: string[]) => ["eval", ckpt.config, "--eval_tasks", `mc:${mc}`, "--json", ...extra];
    const [a, b] = await inBatches(2, [
      () => runNeoxAsync(ev(), { cwd: dir }),
      () => runNeoxAsync(ev("--engine", "onnxruntime", "--onnx-model", modelKv), { cwd: dir }),
    ]);
    expect(a!.code, a!.stderr).toBe(0);
    expect(b!.code, b!.stderr).toBe(0);
    const results = (s: string) =>
      (JSON.parse(s) as { results: Record<string, Record<string, number>> }).results;
    const ra = results(a!.stdout)["mc:choices"]!;
    const rb = results(b!.stdout)["mc:choices"]!;
    expect(rb.acc).toBe(ra.acc);
    expect(rb.acc_norm).toBe(ra.acc_norm);
  }, 300_000);

  it("--engine onnxruntime without --onnx-model, or with a missing file, fails naming it", () => {
    const r1 = runNeox(["generate", ckpt.config, "--engine", "onnxruntime"]);
    expect(r1.code).not.toBe(0);
    expect(r1.stderr).toMatch(/--onnx-model FILE/);
    const missing = join(dir, "nope.onnx");
    const r2 = runNeox(["generate", ckpt.config, "--engine", "onnxruntime", "--onnx-model", missing]);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain(missing);
  });
});
