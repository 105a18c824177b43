import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ALL_ARGS } from "../../src/args/index";
import { renderArgumentsReference } from "../../src/docs";
import type { ArgType } from "../../src/schema/types";
import { CONFIGS_DIR } from "./paths";

describe("renderArgumentsReference", () => {
  const md = renderArgumentsReference();

  it("is deterministic", () => {
    expect(renderArgumentsReference()).toBe(md);
  });

  it("says it is generated and must not be edited by hand", () => {
    expect(md.split("\n").slice(0, 4).join("\n")).toMatch(/pnpm -s neox config docs.*Do not edit by hand/);
  });

  it("has one five-column row per key, in a section per class", () => {
    const rows = md.split("\n").filter((l) => l.startsWith("| `"));
    for (const d of ALL_ARGS) {
      const mine = rows.filter((r) => r.startsWith(`| \`${d.name}\` |`));
      expect(mine.length, d.name).toBe(1);
      // Unescaped pipes delimit cells: 6 of them means 5 cells, so a "|" in a value was escaped.
      expect(mine[0]!.replace(/\\\|/g, "").split("|").length - 1, d.name).toBe(6);
    }
    expect(md.match(/^## /gm)?.length).toBe(15); // aliases + 12 classes + dict keys + limits
  });

  it("lists every declared key inside a dict with its type, and the ranges of keys that have one", () => {
    const leaves = (path: string, ty: ArgType): string[] =>
      ty.kind === "dict" && ty.fields
        ? Object.entries(ty.fields).flatMap(([k, f]) =>
            f.kind === "dict" && f.fields ? leaves(`${path}.${k}`, f) : [`${path}.${k}`],
          )
        : [];
    const inner = ALL_ARGS.flatMap((d) => leaves(d.name, d.type));
    expect(inner).toContain("optimizer.params.lr");
    expect(inner).toContain("zero_optimization.offload_optimizer.device");
    for (const p of inner) expect(md, p).toContain(`| \`${p}\` |`);
    expect(md).toMatch(/\| `optimizer\.params\.betas` \| `list\[float\]` \| two numbers in \[0, 1\)/);
    expect(md).toMatch(/\| `num_layers` \|.*Range: in \[1, 16,384\]: /);
    expect(md).toMatch(/## Limits\n\nA config file is at most 4 MiB, nests at most 64 levels/);
  });

  it("shows support status, notes and features", () => {
    expect(md).toMatch(/\| `bias_dropout_fusion` \|.*\| no effect: /);
    expect(md).toMatch(
      /\| `moe_num_experts` \|.*\| \*\*unsupported\*\*: mixture-of-experts \(when moe_num_experts > 1\)/,
    );
    expect(md).toMatch(/\| `pipe_partition_method` \| `str` \| `"type:transformer\\\|mlp"` \|/);
  });

  it("matches the committed configs/neox_arguments.md (regenerate: pnpm -s neox config docs)", () => {
    expect(readFileSync(resolve(CONFIGS_DIR, "neox_arguments.md"), "utf8")).toBe(md);
  });
});
