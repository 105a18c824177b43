import { describe, expect, it } from "vitest";
import { ALIASES, ARGS_BY_NAME, aliasesOf, applyAliases, toAliasValue } from "../../src/args/index";

describe("aliases", () => {
  it("name declared boolean keys and never shadow a GPT-NeoX key", () => {
    expect(ALIASES.map((a) => a.alias)).toEqual(
      expect.arrayContaining(["tie_embeddings", "parallel_residual"]),
    );
    for (const a of ALIASES) {
      expect(ARGS_BY_NAME.has(a.alias), a.alias).toBe(false);
      expect(ARGS_BY_NAME.get(a.canonical)?.type.kind, a.canonical).toBe("bool");
      expect(ARGS_BY_NAME.get(a.canonical)?.doc, a.canonical).toContain(a.alias);
    }
    expect(new Set(ALIASES.map((a) => a.alias)).size).toBe(ALIASES.length);
  });

  it("invert tie_embeddings into no_weight_tying", () => {
    expect(applyAliases("tie_embeddings", true)).toMatchObject({ key: "no_weight_tying", value: false });
    expect(applyAliases("tie-embeddings", false)).toMatchObject({ key: "no_weight_tying", value: true });
    expect(applyAliases("tie_embeddings", null)).toMatchObject({ key: "no_weight_tying", value: null });
    // A wrong type passes through so the canonical key's type check reports it.
    expect(applyAliases("tie_embeddings", "yes")).toMatchObject({ key: "no_weight_tying", value: "yes" });
  });

  it("map parallel_residual to gpt_j_residual without inverting", () => {
    expect(applyAliases("parallel_residual", true)).toMatchObject({ key: "gpt_j_residual", value: true });
    expect(applyAliases("parallel_residual", false).alias?.canonical).toBe("gpt_j_residual");
  });

  it("leave other keys alone apart from dashes", () => {
    expect(applyAliases("no_weight_tying", true)).toEqual({ key: "no_weight_tying", value: true });
    expect(applyAliases("train-micro-batch-size-per-gpu", 4)).toEqual({
      key: "train_micro_batch_size_per_gpu",
      value: 4,
    });
  });

  it("round-trip every alias", () => {
    for (const a of ALIASES) {
      for (const v of [true, false]) {
        const { key, value } = applyAliases(a.alias, v);
        expect(key).toBe(a.canonical);
        expect(toAliasValue(a, value)).toBe(v);
      }
      expect(aliasesOf(a.canonical)).toContain(a);
    }
  });
});
