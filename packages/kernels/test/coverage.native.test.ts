// Every native op must join the parity tables.
//
// How to add an op: register it in a glue file (packages/kernels/native/ops-<group>.cc) with
// NEOX_REGISTER("<name>", fn), add a float64 twin under src/reference/, and add at least one case
// `{ op: "<name>", name: "...", ... }` to the exported table in test/cases/<group>.ts that your
// <group>.native.test.ts runs under every ISA. This test reads every test/cases/*.ts module,
// collects the `op` of each element of each exported array, and fails when a name in ops() has no
// case, or when a case names an op the addon does not have (a typo or a stale build).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { expect, it } from "vitest";
import { ops } from "../src/index";
import { describeNative } from "./helpers/native";

async function caseOps(): Promise<Map<string, string[]>> {
  const dir = fileURLToPath(new URL("./cases/", import.meta.url));
  const byOp = new Map<string, string[]>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()) {
    const url = pathToFileURL(join(dir, file)).href;
    const mod = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (!Array.isArray(value)) continue;
      for (const c of value) {
        if (c && typeof c === "object" && typeof (c as { op?: unknown }).op === "string") {
          const op = (c as { op: string }).op;
          byOp.set(op, [...(byOp.get(op) ?? []), file]);
        }
      }
    }
  }
  return byOp;
}

describeNative("op coverage", () => {
  it("every registered op has a parity case", async () => {
    const covered = await caseOps();
    const missing = ops().filter((op) => !covered.has(op));
    expect(missing, `ops without a parity case in test/cases/*.ts: ${missing.join(", ")}`).toEqual([]);
  });

  it("every parity case names a registered op", async () => {
    const registered = new Set(ops());
    const unknown = [...(await caseOps()).entries()]
      .filter(([op]) => !registered.has(op))
      .map(([op, files]) => `${op} (${[...new Set(files)].join(", ")})`);
    expect(unknown, `cases for ops the addon lacks (typo or stale build?): ${unknown.join(", ")}`).toEqual(
      [],
    );
  });

  it("ops() names are unique camelCase identifiers", () => {
    const names = ops();
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z][A-Za-z0-9]*$/);
  });
});
