// `neox eval` as a user runs it, on the tiny char-level checkpoint trained on Tiny Shakespeare:
// lambada_openai, piqa and wikitext from the local task files (a few documents each, piqa whole),
// the results file's name and shape, `--json` on stdout, sane metrics; the harness's loglikelihood
// equals the one read off `neox model logits` for the same text; user JSONL tasks (mc:, gen:); and a
// missing data directory is an error that says how to give one.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/run-neox";
import { spawnNeox } from "./helpers/spawn-neox";
import { type TinyCheckpoint, tinyCheckpoint, tinyModelLogits } from "./helpers/tiny-checkpoint";

const DATA = resolve(REPO_ROOT, "../shared/data/eval");
const hasData = existsSync(DATA);
if (!hasData) console.warn(`skipping neox eval end-to-end tests: ${DATA} not found`);

const dir = mkdtempSync(join(tmpdir(), "neox-eval-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let ck: TinyCheckpoint;
beforeAll(async () => {
  ck = await tinyCheckpoint();
}, 300_000);

const RESULTS_NAME = /^eval_results_\d{2}-\d{2}-\d{4}-\d{2}-\d{2}-\d{2}\.json$/;
type Results = {
  results: Record<string, Record<string, number | string>>;
  versions: Record<string, number>;
  "n-samples": Record<string, { original: number; effective: number }>;
  config: { limit: number | null; batch_size: number; model_args: Record<string, unknown> };
};

const inUnit = (x: unknown) => typeof x === "number" && x >= 0 && x <= 1;

describe.skipIf(!hasData)("neox eval", () => {
  it("runs lambada_openai, piqa and wikitext with --limit; --json stdout is the results file", async () => {
    const out = join(dir, "limited");
    mkdirSync(out);
    const f = await spawnNeox([
      "eval",
      ck.config,
      "--eval_tasks",
      "lambada_openai",
      "piqa",
      "wikitext",
      "--limit",
      "6",
      "--eval-data-dir",
      DATA,
      "--set",
      `eval_results_prefix=${join(out, "tiny")}`,
      "--json",
    ]).done;
    expect(f.stderr).toContain("results written to");
    expect(f.code).toBe(0);
    const files = readdirSync(out);
    expect(files).toHaveLength(1);
    expect(files[0]!.startsWith("tiny_")).toBe(true);
    expect(files[0]!.slice("tiny_".length)).toMatch(RESULTS_NAME);
    const doc = JSON.parse(f.stdout) as Results; // nothing else on stdout
    expect(JSON.parse(readFileSync(join(out, files[0]!), "utf8"))).toEqual(doc);

    expect(Object.keys(doc.results).sort()).toEqual(["lambada_openai", "piqa", "wikitext"]);
    expect(doc.versions).toEqual({ lambada_openai: 1, piqa: 1, wikitext: 2 });
    expect(doc.config.limit).toBe(6);
    for (const t of ["lambada_openai", "piqa", "wikitext"]) expect(doc["n-samples"][t]!.effective).toBe(6);
    const lines = (p: string) =>
      readFileSync(join(DATA, p), "utf8")
        .split("\n")
        .filter((l) => l.trim()).length;
    expect(doc["n-samples"].lambada_openai!.original).toBe(lines("lambada_openai/lambada_test.jsonl"));
    expect(doc["n-samples"].piqa!.original).toBe(lines("piqa/valid.jsonl"));

    const lambada = doc.results.lambada_openai!;
    expect(lambada.perplexity).toBeGreaterThan(1);
    expect(Number.isFinite(lambada.perplexity)).toBe(true);
    expect(lambada.perplexity_stderr).toBeGreaterThan(0);
    expect(inUnit(lambada.acc)).toBe(true);
    expect(lambada.acc_stderr).toBeGreaterThanOrEqual(0);

    const piqa = doc.results.piqa!;
    for (const m of ["acc", "acc_norm"]) {
      expect(inUnit(piqa[m])).toBe(true);
      expect(piqa[`${m}_stderr`]).toBeGreaterThan(0);
    }

    const wiki = doc.results.wikitext!;
    // bytes are what this model predicts: 8 bits would be no better than uniform over bytes, and a
    // model trained for a few hundred steps on Shakespeare is well above 1 bit on Wikipedia
    expect(wiki.bits_per_byte).toBeGreaterThan(1);
    expect(wiki.bits_per_byte).toBeLessThan(8);
    expect(wiki.byte_perplexity).toBeCloseTo(2 ** (wiki.bits_per_byte as number), 6);
    expect(wiki.word_perplexity).toBeGreaterThan(wiki.byte_perplexity as number);
    expect(wiki).not.toHaveProperty("bits_per_byte_stderr"); // the harness reports none
  }, 180_000);

  it("runs piqa whole from NEOX_EVAL_DATA_DIR, writing eval_results_<date>.json in the working directory", async () => {
    const cwd = join(dir, "full");
    mkdirSync(cwd);
    const f = await spawnNeox(["eval", ck.config, "--eval_tasks", "piqa"], {
      cwd,
      env: { NEOX_EVAL_DATA_DIR: DATA },
    }).done;
    expect(f.stderr).toContain("results written to");
    expect(f.code).toBe(0);
    const files = readdirSync(cwd);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(RESULTS_NAME);
    const doc = JSON.parse(readFileSync(join(cwd, files[0]!), "utf8")) as Results;
    const n = readFileSync(join(DATA, "piqa/valid.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.trim()).length;
    expect(doc["n-samples"].piqa).toEqual({ original: n, effective: n });
    expect(doc.config.limit).toBeNull();
    expect(inUnit(doc.results.piqa!.acc)).toBe(true);
    // the sample standard error of a 0/1 mean over n documents
    const acc = doc.results.piqa!.acc as number;
    expect(doc.results.piqa!.acc_stderr).toBeCloseTo(Math.sqrt((acc * (1 - acc) * n) / (n - 1) / n), 10);
    expect(f.stdout).toMatch(/\|piqa\|1\|0\|acc\|/); // the table
  }, 300_000);

  it("lambada's loglikelihood equals the one computed from `neox model logits`", async () => {
    const data = join(dir, "one-doc");
    mkdirSync(join(data, "lambada_openai"), { recursive: true });
    const text = "To be, or not to be, that is the question";
    writeFileSync(join(data, "lambada_openai/lambada_test.jsonl"), `${JSON.stringify({ text })}\n`);
    const f = await spawnNeox(
      ["eval", ck.config, "--eval_tasks", "lambada_openai", "--eval-data-dir", data, "--json"],
      { cwd: data },
    ).done;
    expect(f.code).toBe(0);
    const res = (JSON.parse(f.stdout) as Results).results.lambada_openai!;
    const ll = -Math.log(res.perplexity as number);

    // CharLevelTokenizer ids are the UTF-8 bytes; context "...is the", continuation " question"
    const all = [...Buffer.from(text, "utf8")];
    const c = " question".length;
    const inp = all.slice(0, -1); // fits the 128-token window: no truncation
    const logits = (ids: number[]) => tinyModelLogits(ck, ids);
    const [full, prefix] = await Promise.all([logits(inp), logits(inp.slice(0, inp.length - c + 1))]);
    // rows m-c .. m-2 predict the continuation's first c-1 bytes: the full run's loss sum minus the
    // prefix's; the last row (last_logits) predicts its last byte
    const m = inp.length;
    const nllRows = full.loss * (m - 1) - prefix.loss * (m - c);
    const z = full.last_logits.reduce((s, x) => s + Math.exp(x - Math.max(...full.last_logits)), 0);
    const lastLp = full.last_logits[all[all.length - 1]!]! - Math.max(...full.last_logits) - Math.log(z);
    expect(ll).toBeCloseTo(-nllRows + lastLp, 3);
    // acc is 1 exactly when every continuation byte is its row's argmax
    const greedy = all.slice(-c).every((t, j) => full.per_position_argmax[m - c + j] === t);
    expect(res.acc).toBe(greedy ? 1 : 0);
  }, 120_000);

  it("runs user multiple-choice and generation tasks from JSONL files", async () => {
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
    const gen = join(dir, "gen.jsonl");
    writeFileSync(
      gen,
      `${JSON.stringify({ context: "ROMEO:\nWhat", target: "never matches", until: ["\n"], max_gen_toks: 20 })}\n`,
    );
    const f = await spawnNeox(["eval", ck.config, "--eval_tasks", `mc:${mc}`, `gen:${gen}`, "--json"], {
      cwd: dir,
    }).done;
    expect(f.code).toBe(0);
    const doc = JSON.parse(f.stdout) as Results;
    // a model that has read Shakespeare prefers English to consonant soup
    expect(doc.results["mc:choices"]!.acc).toBe(1);
    expect(doc.results["gen:gen"]!.exact_match).toBe(0);
    expect(doc["n-samples"]["gen:gen"]!.effective).toBe(1);
  }, 120_000);

  it("SIGINT stops it between passes with 130 and writes no results file", async () => {
    const out = join(dir, "interrupted");
    mkdirSync(out);
    const run = spawnNeox([
      "eval",
      ck.config,
      "--eval_tasks",
      "wikitext", // whole: about 10k windows, far longer than the wait below
      "--eval-data-dir",
      DATA,
      "--set",
      `eval_results_prefix=${join(out, "x")}`,
    ]);
    await run.stderrMatching(/context \d+ tokens/, 60_000);
    run.child.kill("SIGINT");
    const f = await run.done;
    expect(f.code).toBe(130);
    expect(f.stderr).toMatch(/interrupted \(SIGINT\)/);
    expect(readdirSync(out)).toEqual([]);
    expect(f.stdout).toBe("");
  }, 120_000);

  it("without --eval-data-dir or NEOX_EVAL_DATA_DIR, says how to give one", async () => {
    const f = await spawnNeox(["eval", ck.config, "--eval_tasks", "piqa"], {
      env: { NEOX_EVAL_DATA_DIR: "" },
    }).done;
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/--eval-data-dir DIR or set NEOX_EVAL_DATA_DIR/);
    expect(f.stdout).toBe("");
  }, 60_000);
});
