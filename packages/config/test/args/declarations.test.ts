// Declarations against two independent references: neox-spec Appendix B (names, defaults,
// Literal choices, per-class counts) and the field list read from GPT-NeoX's dataclasses with
// Python's ast (tools/fixtures/config/neox_args_fields.py: types, defaults, class, order).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ALL_ARGS, ARGS_BY_NAME } from "../../src/args/index";
import type { ArgType, Category } from "../../src/schema/types";
import { FIELDS_FIXTURE, NEOX_SPEC, sharedFileAvailable } from "./paths";

const CLASS_TO_CATEGORY: Readonly<Record<string, Category>> = {
  NeoXArgsParallelism: "parallelism",
  NeoXArgsModel: "model",
  NeoXArgsOptimizer: "optimizer",
  NeoXArgsLRScheduler: "lr_scheduler",
  NeoXArgsLogging: "logging",
  NeoXArgsOther: "other",
  NeoXArgsTokenizer: "tokenizer",
  NeoXArgsTraining: "training",
  NeoXArgsTextgen: "textgen",
  NeoXArgsMoE: "moe",
  NeoXArgsDeepspeedConfig: "deepspeed_config",
  NeoXArgsDeepspeedRunner: "deepspeed_runner",
};

// git_hash's default is computed when GPT-NeoX is imported (`git describe --always`); here it
// is derived at run time, so the declaration's default is null.
const COMPUTED_DEFAULTS = new Set(["git_hash"]);

interface AppendixEntry {
  cls: string;
  name: string;
  raw: string;
  choices?: string[];
}

/** Parses "- **NeoXArgsX** (N): `name`=default [a, b]; ..." lines of Appendix B. */
function parseAppendixB(text: string): { entries: AppendixEntry[]; counts: Map<string, number> } {
  const start = text.indexOf("## Appendix B");
  expect(start, "neox-spec.md has an Appendix B").toBeGreaterThan(0);
  const entries: AppendixEntry[] = [];
  const counts = new Map<string, number>();
  for (const line of text.slice(start).split("\n")) {
    const head = /^- \*\*(NeoXArgs\w+)\*\* \((\d+)\): (.*)$/.exec(line);
    if (!head) continue;
    const [, cls, n, body] = head as unknown as [string, string, string, string];
    counts.set(cls, Number(n));
    for (const part of body.split(/; (?=`)/)) {
      const m = /^`(\w+)`=(.*?)(?: \[([^\]]*)\])?$/.exec(part.trim());
      if (!m) throw new Error(`Appendix B: cannot read entry "${part}" of ${cls}`);
      entries.push({ cls, name: m[1]!, raw: m[2]!, choices: m[3]?.split(", ") });
    }
  }
  return { entries, counts };
}

/** Appendix B prints Python reprs without quotes: None, True, 1.0e-5, 104_857_600, \n. */
function appendixValue(raw: string): unknown {
  if (raw === "None") return null;
  if (raw === "True") return true;
  if (raw === "False") return false;
  const num = raw.replace(/_/g, "");
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(num)) return Number(num);
  return raw.replace(/\\n/g, "\n");
}

const haveSpec = sharedFileAvailable(NEOX_SPEC);

describe.runIf(haveSpec)("declarations vs neox-spec Appendix B", () => {
  const { entries, counts } = haveSpec
    ? parseAppendixB(readFileSync(NEOX_SPEC, "utf8"))
    : { entries: [], counts: new Map<string, number>() };

  it("declares exactly the 318 names Appendix B lists, each once", () => {
    const names = entries.map((e) => e.name);
    expect(new Set(names).size).toBe(318);
    expect(names.length).toBe(318);
    expect(ALL_ARGS.length).toBe(318);
    expect([...ARGS_BY_NAME.keys()].sort()).toEqual([...names].sort());
  });

  it("puts each key in its GPT-NeoX class, with the class sizes Appendix B states", () => {
    for (const e of entries)
      expect(ARGS_BY_NAME.get(e.name)?.category, e.name).toBe(CLASS_TO_CATEGORY[e.cls]);
    for (const [cls, n] of counts) {
      expect(ALL_ARGS.filter((d) => d.category === CLASS_TO_CATEGORY[cls]).length, cls).toBe(n);
    }
  });

  it("uses Appendix B's defaults", () => {
    for (const e of entries) {
      if (COMPUTED_DEFAULTS.has(e.name)) continue;
      expect(ARGS_BY_NAME.get(e.name)?.default, e.name).toEqual(appendixValue(e.raw));
    }
  });

  it("lists Appendix B's Literal choices, in order", () => {
    for (const e of entries.filter((x) => x.choices)) {
      const ty = ARGS_BY_NAME.get(e.name)!.type;
      expect(ty.kind, e.name).toBe("literal");
      if (ty.kind === "literal") expect(ty.values, e.name).toEqual(e.choices);
    }
  });
});

interface FixtureField {
  class: string;
  name: string;
  type: unknown;
  default: { value?: unknown; computed?: string };
  duplicate?: boolean;
}

describe("declarations vs GPT-NeoX's dataclass annotations (ast fixture)", () => {
  const fixture = JSON.parse(readFileSync(FIELDS_FIXTURE, "utf8")) as { fields: FixtureField[] };
  const fields = fixture.fields.filter((f) => !f.duplicate);

  it("holds 320 declarations of 318 names (autotuning and force_multi twice)", () => {
    expect(fixture.fields.length).toBe(320);
    expect(fixture.fields.filter((f) => f.duplicate).map((f) => f.name)).toEqual([
      "autotuning",
      "force_multi",
    ]);
  });

  it("declares every field in GPT-NeoX's class and declaration order", () => {
    expect(ALL_ARGS.map((d) => d.name)).toEqual(fields.map((f) => f.name));
    for (const f of fields)
      expect(ARGS_BY_NAME.get(f.name)?.category, f.name).toBe(CLASS_TO_CATEGORY[f.class]);
  });

  it("types every field as GPT-NeoX annotates it (Literal choices included)", () => {
    // a dict's declared inner keys (deepspeed-dicts.ts) are ours; GPT-NeoX annotates only `dict`
    const plain = (ty: ArgType): unknown =>
      JSON.parse(JSON.stringify(ty, (k, v) => (["fields", "required", "open"].includes(k) ? undefined : v)));
    for (const f of fields) expect(plain(ARGS_BY_NAME.get(f.name)!.type), f.name).toEqual(f.type);
  });

  it("defaults every field as GPT-NeoX does", () => {
    for (const f of fields) {
      const expected = f.default.computed !== undefined ? null : f.default.value;
      expect(ARGS_BY_NAME.get(f.name)!.default, f.name).toEqual(expected);
    }
  });

  it("gives every Literal default among its own choices", () => {
    for (const d of ALL_ARGS) {
      if (d.type.kind === "literal" && d.default !== null) expect(d.type.values, d.name).toContain(d.default);
    }
  });
});

describe("docs", () => {
  it("are one line each, short, and not empty", () => {
    for (const d of ALL_ARGS) {
      expect(d.doc, d.name).toMatch(/^\S.*\S$/);
      expect(d.doc.includes("\n"), d.name).toBe(false);
      expect(d.doc.length, d.name).toBeLessThanOrEqual(130);
    }
  });

  it('mark the values the runtime computes with "Derived:"', () => {
    const derived = [
      "padded_vocab_size",
      "global_num_gpus",
      "local_rank",
      "rank",
      "world_size",
      "is_pipe_parallel",
      "batch_size",
      "clip_grad",
      "dynamic_loss_scale",
      "optimizer_type",
      "lr",
      "zero_stage",
      "zero_reduce_scatter",
      "zero_contiguous_gradients",
      "zero_reduce_bucket_size",
      "zero_allgather_bucket_size",
      "git_hash",
      "config_files",
      "do_train",
      "do_valid",
      "do_test",
      "curriculum_seqlen",
      "comet_experiment",
    ];
    for (const name of derived) expect(ARGS_BY_NAME.get(name)?.doc, name).toMatch(/^Derived: /);
  });
});
