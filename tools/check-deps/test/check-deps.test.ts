import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkWorkspace } from "../src/check";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => join(here, "fixtures", name);

describe("check-deps", () => {
  it("accepts a legal graph, including models/<arch>/parallelize.ts importing parallel", () => {
    expect(checkWorkspace(fixture("ok"))).toEqual([]);
  });

  it("rejects edges DESIGN §2 does not list", () => {
    const v = checkWorkspace(fixture("edge"));
    const edges = v.filter((x) => x.rule === "edge").map((x) => x.where);
    expect(edges).toContain("packages/data-mmap/src/index.ts:1");
    expect(edges).toContain("packages/models/src/llama/model.ts:1");
    expect(edges).toContain("apps/generate/src/index.ts:1");
    expect(edges).toHaveLength(3);
    expect(v.find((x) => x.rule === "undeclared")).toBeUndefined();
  });

  it("rejects a cycle", () => {
    const v = checkWorkspace(fixture("cycle"));
    const cycles = v.filter((x) => x.rule === "cycle");
    expect(cycles).toHaveLength(1);
    expect(cycles[0]!.message).toContain("@neox/kernels -> @neox/tensor -> @neox/kernels");
  });

  it("rejects a deep import into another package's src/", () => {
    const v = checkWorkspace(fixture("deep"));
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ rule: "deep-import", where: "packages/tensor/src/index.ts:1" });
  });

  it("rejects a relative path into another package (a deep import in disguise), not into its own", () => {
    const v = checkWorkspace(fixture("path"));
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ rule: "path-import", where: "packages/models/bench/run.ts:3" });
    expect(v[0]!.message).toContain("@neox/kernels");
  });

  it("the repository itself obeys DESIGN §2", () => {
    const root = resolve(here, "../../..");
    const v = checkWorkspace(root);
    expect(v.map((x) => `${x.where}: ${x.message}`)).toEqual([]);
  });
});
