// Fuzzes the config loader end to end on mutated real configs: bytes → UTF-8 check → YAML with its
// limits → merge, validation and derived values → both renderings of `config show`. Nothing may
// throw (every bad input is a problem in the result), no input may take longer than the harness's
// per-input limit, the heap may not grow past its bound, and every problem prints as one line.
// Seeds are this repository's configs/ and GPT-NeoX's own configs in ../shared, read at test time.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  decodeConfigBytes,
  flatJson,
  formatProblem,
  parseConfigText,
  renderShow,
  resolveParsed,
} from "@neox/config";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/run-neox";
import { haveShared, SHARED } from "../helpers/shared";
import { fuzz } from "./mutate";

function ymlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? ymlFiles(p) : /\.ya?ml$/.test(name) ? [p] : [];
  });
}

const enc = (s: string) => new TextEncoder().encode(s);

/** Seeds that reach the loader's limits in a few mutations: aliases, merge keys, deep nesting. */
const SHAPES = [
  "base: &b {type: Adam, params: {lr: 0.1, betas: [0.9, 0.95]}}\noptimizer: *b\nfp16: {<<: {enabled: true}, hysteresis: 2}\n",
  `attention_config: ${"[".repeat(60)}${"]".repeat(60)}\n`,
  "a0: &a0 [x, x, x]\na1: &a1 [*a0, *a0, *a0]\na2: &a2 [*a1, *a1, *a1]\na3: [*a2, *a2, *a2]\n",
  "num_layers: 1e10\nhidden_size: .nan\nseq_length: -0\ntrain_iters: 9007199254740993\nseed: .inf\n",
  '{"num_layers": 2, "optimizer": {"type": "sgd", "params": {"lr": 1}}, "__proto__": {"x": 1}}\n',
];

function seeds(): Uint8Array[] {
  const files = ymlFiles(join(REPO_ROOT, "configs"));
  if (haveShared()) files.push(...ymlFiles(join(SHARED, "reference/neox-configs")));
  return [...files.map((f) => new Uint8Array(readFileSync(f))), ...SHAPES.map(enc)];
}

function loadLikeTheCli(bytes: Uint8Array, worldSize: number): void {
  const decoded = decodeConfigBytes(bytes, "fuzz.yml");
  if (decoded.problem) {
    if (formatProblem(decoded.problem).includes("\n")) throw new Error("a decode problem spans lines");
    return;
  }
  const parsed = parseConfigText(decoded.text, "fuzz.yml");
  const r = resolveParsed([parsed], { worldSize, overrides: ["optimizer.params.lr=3e-4"] });
  for (const p of r.problems) {
    const line = formatProblem(p);
    if (line.includes("\n") || line.length > 2000)
      throw new Error(`a problem is not one short line: ${line}`);
  }
  renderShow(r);
  JSON.stringify(flatJson(r));
}

const BUDGET_MS = Number(process.env.NEOX_FUZZ_MS ?? 5000);

describe("fuzz: YAML config loader", () => {
  it("never throws, hangs or grows the heap without bound on mutated configs", {
    timeout: BUDGET_MS + 60_000,
  }, () => {
    const all = seeds();
    expect(all.length).toBeGreaterThan(15);
    const t0 = Date.now();
    const report = fuzz({
      seeds: all,
      target: (input) => loadLikeTheCli(input, 1 + (input.length % 8)),
      expected: () => false, // the loader reports problems; any exception is a bug
      budgetMs: BUDGET_MS,
      seed: 20240601,
      maxInputMs: 2000,
    });
    const seconds = (Date.now() - t0) / 1000;
    console.log(
      `yaml-config fuzz: ${report.rounds} rounds in ${seconds.toFixed(1)} s (${(report.rounds / seconds).toFixed(0)}/s)`,
    );
    expect(report.rounds).toBeGreaterThan(all.length);
    expect(report.accepted).toBe(report.rounds);
  });
});
