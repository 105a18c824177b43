// Values inside GPT-NeoX's DeepSpeed dicts are checked like top-level keys: type, range, unknown key
// with a "did you mean", required entries; each problem points at the inner key's own file:line, or
// at the `--set` that put the value there. Derived values follow the override.
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../src/load/yaml-file";
import { type ResolveOptions, resolveParsed } from "../src/resolve";
import { flatJson, renderShow } from "../src/show";

const MODEL =
  "num_layers: 2\nhidden_size: 64\nnum_attention_heads: 4\nmax_position_embeddings: 128\nseq_length: 128\ntrain_micro_batch_size_per_gpu: 2\ntrain_iters: 10\n";
const OPT = "optimizer:\n  type: Adam\n  params:\n    lr: 0.0006\n    betas: [0.9, 0.95]\n    eps: 1.0e-8\n";
const resolve = (text: string, opts: ResolveOptions = {}) =>
  resolveParsed([parseConfigText(MODEL + text, "c.yml")], opts);
const lineOf = (text: string, needle: string) =>
  (MODEL + text).split("\n").findIndex((l) => l.includes(needle)) + 1;
const summary = (text: string, opts: ResolveOptions = {}) =>
  resolve(text, opts).problems.map((p) => `${p.kind}:${p.key}:${p.file}:${p.line ?? 0}`);

describe("values inside DeepSpeed dicts", () => {
  it("passes GPT-NeoX-style dicts as they are written in its configs", () => {
    const text = `${OPT}zero_optimization:\n  stage: 1\n  allgather_bucket_size: 500000000\n  overlap_comm: true\nfp16:\n  fp16: true\n  enabled: true\n  loss_scale: 0\n  initial_scale_power: 12\n  loss_scale_window: 1000\n  hysteresis: 2\n  min_loss_scale: 1\ndata_types: {grad_accum_dtype: fp32}\n`;
    expect(resolve(text).problems).toEqual([]);
  });

  it("reports a wrong inner type at the inner key's line: string, list, bool, dict, int where a literal is due", () => {
    const cases: [string, string, RegExp][] = [
      [OPT.replace("lr: 0.0006", "lr: abc"), "optimizer.params.lr", /expected float, got the string "abc"/],
      [OPT.replace("lr: 0.0006", "lr: [1]"), "optimizer.params.lr", /expected float, got a list \[1\]/],
      [OPT.replace("eps: 1.0e-8", "eps: 1.0e_8"), "optimizer.params.eps", /got the string "1.0e_8"/],
      [
        OPT.replace("betas: [0.9, 0.95]", "betas: [a, b]"),
        "optimizer.params.betas",
        /expected list\[float\]/,
      ],
      [`${OPT}zero_optimization:\n  overlap_comm: sure\n`, "zero_optimization.overlap_comm", /expected bool/],
      [`${OPT}zero_optimization:\n  stage: 5\n`, "zero_optimization.stage", /expected Literal\[0, 1, 2, 3\]/],
      [`${OPT}fp16:\n  enabled: {a: 1}\n`, "fp16.enabled", /expected bool, got a dict/],
      [OPT.replace("type: Adam", "type: AdamW8bit"), "optimizer.type", /expected Literal\["adam"/],
    ];
    for (const [text, key, message] of cases) {
      const r = resolve(text);
      const p = r.problems.find((x) => x.key === key);
      expect(p, `${key} in\n${text}`).toMatchObject({
        kind: "type",
        file: "c.yml",
        line: lineOf(text, key.split(".").at(-1)!),
      });
      expect(p!.message).toMatch(message);
    }
  });

  it("reports inner values out of range: betas, eps, lr, loss scale, bucket sizes, NaN", () => {
    const cases: [string, string][] = [
      [OPT.replace("betas: [0.9, 0.95]", "betas: [0.9]"), "optimizer.params.betas"],
      [OPT.replace("betas: [0.9, 0.95]", "betas: [0.9, 1.5]"), "optimizer.params.betas"],
      [OPT.replace("eps: 1.0e-8", "eps: -1"), "optimizer.params.eps"],
      [OPT.replace("lr: 0.0006", "lr: -0.1"), "optimizer.params.lr"],
      [OPT.replace("lr: 0.0006", "lr: .nan"), "optimizer.params.lr"],
      [OPT.replace("lr: 0.0006", "lr: .inf"), "optimizer.params.lr"],
      [`${OPT}fp16:\n  initial_scale_power: 200\n`, "fp16.initial_scale_power"],
      [`${OPT}bf16:\n  min_loss_scale: 0\n`, "bf16.min_loss_scale"],
      [`${OPT}zero_optimization:\n  reduce_bucket_size: 1e20\n`, "zero_optimization.reduce_bucket_size"],
    ];
    for (const [text, key] of cases) {
      const p = resolve(text).problems.find((x) => x.key === key);
      expect(p, `${key} in\n${text}`).toMatchObject({
        kind: "range",
        line: lineOf(text, key.split(".").at(-1)!),
      });
    }
  });

  it("names unknown inner keys with a did-you-mean, at every depth, and missing required entries", () => {
    const unknown = (text: string) =>
      resolve(text)
        .problems.filter((p) => p.kind === "unknown_key")
        .map((p) => p.message);
    expect(unknown(OPT.replace("lr:", "lrr:"))).toEqual([
      'unknown key "lrr" in optimizer.params (did you mean "lr"?)',
    ]);
    expect(unknown(OPT.replace("betas:", "beta1:"))).toEqual([
      'unknown key "beta1" in optimizer.params (did you mean "betas"?)',
    ]);
    expect(unknown(`${OPT}zero_optimization:\n  stgae: 1\n`)).toEqual([
      'unknown key "stgae" in zero_optimization (did you mean "stage"?)',
    ]);
    expect(unknown(`${OPT}zero_optimization:\n  offload_optimizer: {devise: cpu}\n`)).toEqual([
      'unknown key "devise" in zero_optimization.offload_optimizer (did you mean "device"?)',
    ]);
    expect(unknown(`${OPT}fp16:\n  enabeld: true\n`)).toEqual([
      'unknown key "enabeld" in fp16 (did you mean "enabled"?)',
    ]);
    expect(unknown(`${OPT}optimizer_extra: 1\n`)[0]).toMatch(/unknown key "optimizer_extra"/);
    // open dicts pass DeepSpeed's other keys through
    expect(unknown(`${OPT}autotuning: {enabled: false, fast: true}\n`)).toEqual([]);
    const missing = resolve("optimizer:\n  params: {lr: 0.1}\n").problems.find((p) => p.key === "optimizer");
    expect(missing?.message).toMatch(/optimizer needs a "type" entry/);
    const entries = resolve(
      "deepspeed_extra_args:\n  comms_logger: {enabled: false, verbos: true}\n",
    ).problems;
    expect(entries.map((p) => p.message)).toEqual([
      'unknown key "verbos" in deepspeed_extra_args.comms_logger (did you mean "verbose"?)',
    ]);
  });

  it("credits --set for a value it sets inside a dict, in problems, show and the flat JSON", () => {
    const bad = resolve(OPT, { overrides: ["optimizer.params.lr=abc"] });
    expect(bad.problems).toEqual([
      {
        kind: "type",
        key: "optimizer.params.lr",
        file: "--set optimizer.params.lr=abc (command line)",
        line: 0,
        message: 'optimizer.params.lr: expected float, got the string "abc"',
      },
    ]);
    const good = resolve(OPT, { overrides: ["optimizer.params.lr=0.1"] });
    expect(good.problems).toEqual([]);
    expect(good.derived.lr).toBe(0.1);
    const show = renderShow(good);
    expect(show).toMatch(/optimizer\.params\.lr +0\.1 +# --set optimizer\.params\.lr=0\.1 \(command line\)/);
    expect(show).toMatch(
      new RegExp(`optimizer\\.params\\.betas +\\[0\\.9,0\\.95\\] +# c\\.yml:${lineOf(OPT, "betas")}`),
    );
    expect(show).toMatch(/optimizer +Adam, lr 0\.1/);
    const sources = flatJson(good)._sources as Record<string, string>;
    expect(sources["optimizer.params.lr"]).toBe("--set optimizer.params.lr=0.1 (command line)");
    expect(sources.optimizer).toBe(`c.yml:${lineOf(OPT, "optimizer:")}`);
    // a whole dict given with --set credits every entry inside it
    const dict = resolve(OPT, { overrides: ["optimizer={type: sgd, params: {lr: 0.5, momentum: 0.9}}"] });
    expect(dict.problems).toEqual([]);
    expect(renderShow(dict)).toMatch(/optimizer\.params\.momentum +0\.9 +# --set optimizer=\{type: sgd/);
    expect(dict.derived).toMatchObject({ lr: 0.5, optimizer_type: "sgd" });
  });

  it("refuses a key GPT-NeoX derives from a dict when it disagrees with the dict", () => {
    expect(summary(OPT, { overrides: ["lr=0.1"] })).toEqual(["combination:lr:--set lr=0.1 (command line):0"]);
    expect(resolve(OPT, { overrides: ["lr=0.0006"] }).problems).toEqual([]);
    expect(summary("zero_stage: 1\n")).toEqual([
      `combination:zero_stage:c.yml:${lineOf("zero_stage: 1\n", "zero_stage")}`,
    ]);
    expect(summary(`${OPT}optimizer_type: sgd\n`).map((s) => s.split(":")[1])).toEqual(["optimizer_type"]);
    expect(resolve(`${OPT}optimizer_type: ADAM\n`).problems).toEqual([]);
  });

  it("refuses malformed --set items, one problem each, naming the item", () => {
    const r = resolve("", {
      overrides: [
        "=1",
        "noequals",
        "a..b=1",
        ".a=1",
        "optimizer.params.=1",
        `${"a.".repeat(100)}b=1`,
        "seed=[1",
      ],
    });
    const messages = r.problems.map((p) => `${p.file}: ${p.message}`);
    expect(messages).toHaveLength(7);
    expect(messages[0]).toMatch(/^--set =1 \(command line\): --set expects key=value/);
    expect(messages[2]).toMatch(/a key path has no empty parts/);
    expect(messages[5]).toMatch(/a key path of 101 parts; at most 63/);
    expect(messages[6]).toMatch(/^--set seed=\[1 \(command line\): the value is not valid YAML/);
    // a newline in a value cannot smuggle in a second key: the value is one YAML document
    const smuggle = resolve("", { overrides: ["seed=1\ntrain_iters: 99", "seed=\ntrain_iters: 99"] });
    expect(smuggle.values.train_iters).toBe(10);
    expect(smuggle.problems.map((p) => p.kind)).toEqual(["yaml_syntax", "type"]);
  });
});
