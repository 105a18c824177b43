// Sizes and counts have upper bounds, numbers must be finite (and ints exact), products of sizes are
// bounded, and no number of any size reaches derive as a crash: every class with several members.
import { describe, expect, it } from "vitest";
import { ALL_ARGS } from "../src/args/index";
import { derive } from "../src/derive";
import { parseConfigText } from "../src/load/yaml-file";
import { formatProblem } from "../src/problems";
import { type ResolveOptions, resolveParsed } from "../src/resolve";
import type { ArgType } from "../src/schema/types";
import { BOUNDS, RANGES } from "../src/validate/ranges";

const MODEL = {
  num_layers: "2",
  hidden_size: "64",
  num_attention_heads: "4",
  max_position_embeddings: "128",
  seq_length: "128",
  train_micro_batch_size_per_gpu: "2",
  train_iters: "10",
};
/** MODEL with some keys replaced (YAML text for each value). */
const resolveWith = (over: Record<string, string>, opts: ResolveOptions = {}) => {
  const text = Object.entries({ ...MODEL, ...over })
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
  return resolveParsed([parseConfigText(`${text}\n`, "c.yml")], opts);
};
const problemFor = (key: string, over: Record<string, string>, opts: ResolveOptions = {}) => {
  const r = resolveWith(over, opts);
  return r.problems.find((p) => p.key === key);
};

describe("upper bounds on sizes and counts", () => {
  it("refuses each size past its bound, naming the bound and why, at the key's line", () => {
    const cases: [string, string][] = [
      ["num_layers", "1e10"],
      ["num_layers", String(BOUNDS.layers + 1)],
      ["hidden_size", String(2 ** 21)],
      ["num_attention_heads", String(2 ** 17)],
      ["seq_length", String(2 ** 25)],
      ["max_position_embeddings", "1000000000"],
      ["intermediate_size", String(2 ** 23)],
      ["train_iters", String(2 ** 40)],
      ["train_micro_batch_size_per_gpu", String(2 ** 25)],
      ["gradient_accumulation_steps", "1000000000"],
      ["make_vocab_size_divisible_by", "1000000"],
      ["model_parallel_size", String(2 ** 21)],
      ["seed", String(2 ** 32)],
      ["master_port", "70000"],
      ["num_workers", "100000"],
      ["expansion_factor", "1000"],
    ];
    for (const [key, value] of cases) {
      const p = problemFor(key, { [key]: value });
      expect(p, `${key}: ${value}`).toMatchObject({ kind: "range", file: "c.yml" });
      expect(p!.line).toBe(Object.keys({ ...MODEL, [key]: value }).indexOf(key) + 1);
      expect(p!.message).toMatch(new RegExp(`^${key}: .* is out of range \\(expected in [[(].*\\]: .+\\)$`));
    }
    // the bounds themselves are accepted
    for (const key of ["num_layers", "seq_length", "train_micro_batch_size_per_gpu"]) {
      const max = (RANGES[key]!.expected.match(/, ([\d,]+)\]/)![1] ?? "").replace(/,/g, "");
      expect(problemFor(key, { [key]: max }), `${key}: ${max}`).toBeUndefined();
    }
  });

  it("refuses NaN and ±Infinity anywhere, ints past 2^53, and floats where ints are declared", () => {
    const cases: [string, string, string, RegExp][] = [
      ["hidden_dropout", ".nan", "range", /expected a finite number, got NaN/],
      ["rotary_emb_base", ".inf", "type", /expected int, got the float Infinity/],
      ["init_method_std", "-.inf", "range", /expected a finite number, got -Infinity/],
      ["weight_decay", ".NaN", "range", /finite/],
      ["train_data_weights", "[1, .nan]", "range", /an entry: expected a finite number, got NaN/],
      ["rotary_emb_base", "36893488147419103232", "range", /beyond 2\^53 − 1/],
      ["opt_pos_emb_offset", "-9007199254740993", "range", /out of range/],
      ["profile_step_start", "9007199254740993", "range", /beyond 2\^53 − 1/],
      ["num_layers", "2.5", "type", /expected int, got the float 2.5/],
      ["num_layers", "-0", "range", /out of range/],
      ["hidden_size", "1e308", "range", /out of range/],
    ];
    for (const [key, value, kind, message] of cases) {
      const p = problemFor(key, { [key]: value });
      expect(p, `${key}: ${value}`).toMatchObject({ kind, file: "c.yml" });
      expect(p!.message).toMatch(message);
    }
  });

  it("bounds products of sizes: the batch, samples per run, parameters, the world, pipeline stages", () => {
    const batch = resolveWith({
      train_micro_batch_size_per_gpu: String(2 ** 20),
      gradient_accumulation_steps: String(2 ** 20),
    });
    expect(batch.problems.map((p) => p.message).join("\n")).toMatch(
      /= 1\.10e\+12, over the bound of 16,777,216/,
    );
    const samples = resolveWith({
      train_iters: String(2 ** 32),
      train_micro_batch_size_per_gpu: String(2 ** 22),
    });
    expect(samples.problems.find((p) => p.key === "train_iters")?.message).toMatch(/samples, beyond 2\^53/);
    const params = resolveWith({
      num_layers: "16384",
      hidden_size: String(2 ** 20),
      num_attention_heads: "1024",
    });
    expect(params.problems.find((p) => p.key === "hidden_size")?.message).toMatch(/parameters, over 2\^50/);
    const pipe = resolveWith({ pipe_parallel_size: "8", num_layers: "4" }, { worldSize: 8 });
    expect(pipe.problems.map((p) => `${p.kind}:${p.key}`)).toContain("combination:pipe_parallel_size");
    const world = resolveWith({}, { worldSize: 2 ** 21 });
    expect(world.problems.map((p) => p.message).join("\n")).toMatch(
      /a world size of 2097152 processes is out of range/,
    );
    const gpus = resolveWith({ num_gpus: String(2 ** 20), num_nodes: String(2 ** 20) });
    expect(gpus.problems.map((p) => `${p.kind}:${p.key}`)).toContain("world_size:num_gpus");
  });

  it("checks attention_config counts before expanding them", () => {
    const t0 = Date.now();
    const huge = resolveWith({ attention_config: "[[[global], 1000000000]]" });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(huge.problems.map((p) => p.message)).toContain(
      "attention_config expands to more than num_layers (2) layers",
    );
    const bad = (v: string) =>
      resolveWith({ attention_config: v }).problems.map((p) => `${p.kind}: ${p.message}`);
    expect(bad("[[[global], -1]]")[0]).toMatch(/^type: a count must be a whole number/);
    expect(bad("[[[global], 1.5]]")[0]).toMatch(/^type: a count must be a whole number/);
    expect(bad("[[[global], .inf]]")[0]).toMatch(/^range: attention_config: .*expected a finite number/);
    expect(bad("[[[], all]]")[0]).toMatch(/^type: each entry must be/);
    expect(bad("[global, global, global]")[0]).toMatch(/lists 3 layer types but num_layers is 2/);
    expect(resolveWith({ attention_config: "[[[global, local], all]]" }).derived.attention_config).toEqual([
      "global",
      "local",
    ]);
  });
});

const HOSTILE = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e308,
  -1e308,
  -0,
  2 ** 53 + 2,
  2 ** 63,
  1.5,
  -1,
  0,
  5e-324,
];

const numericKinds = (ty: ArgType): boolean =>
  ty.kind === "int" ||
  ty.kind === "float" ||
  ((ty.kind === "union" || ty.kind === "optional") &&
    (ty.kind === "union" ? ty.of.some(numericKinds) : numericKinds(ty.of)));

describe("derive under any number", () => {
  const NUMERIC = ALL_ARGS.filter((d) => numericKinds(d.type)).map((d) => d.name);

  it("never throws, for every numeric key and every hostile number, and reports without a newline", () => {
    expect(NUMERIC.length).toBeGreaterThan(100);
    const base = Object.fromEntries(Object.entries(MODEL).map(([k, v]) => [k, Number(v)]));
    for (const key of NUMERIC) {
      for (const v of HOSTILE) {
        const t0 = Date.now();
        const { problems } = derive({ ...base, [key]: v }, { worldSize: 1 });
        for (const p of problems) expect(formatProblem(p)).not.toContain("\n");
        expect(Date.now() - t0, `${key}: ${v}`).toBeLessThan(500);
      }
    }
  });

  it("never throws when every size is hostile at once (seeded random combinations)", () => {
    let s = 12345;
    const next = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s;
    };
    for (let round = 0; round < 300; round++) {
      const values: Record<string, unknown> = {};
      for (const key of NUMERIC) if (next() % 3 === 0) values[key] = HOSTILE[next() % HOSTILE.length];
      const world = [undefined, 1, 3, 2 ** 40, Number.NaN][next() % 5];
      expect(() => derive(values, world === undefined ? {} : { worldSize: world })).not.toThrow();
    }
  });

  it("resolves every hostile number given in YAML, with problems instead of exceptions", () => {
    const yaml = [".nan", ".inf", "-.inf", "1e308", "-0", "9007199254740993", "1.5", "-1", "0"];
    for (const key of NUMERIC) {
      for (const v of yaml) {
        const r = resolveWith({ [key]: v }, { worldSize: 1 });
        for (const p of r.problems)
          expect(p.message, `${key}: ${v}`).not.toMatch(/TypeError|RangeError|undefined/);
      }
    }
  });
});
