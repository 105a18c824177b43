// `--dry-run`'s launch section: a command line sh reads back into the same argv, and every rank's
// environment; and the resolved-config file ranks read, which resolves back to the same values.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "@neox/config";
import { afterAll, describe, expect, it } from "vitest";
import { defaultConfigPath, formatPlan, planLaunch, shellQuote, writeResolvedConfig } from "../src/index";

const dir = mkdtempSync(join(tmpdir(), "neox-launch-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("shellQuote", () => {
  it("round-trips awkward arguments through sh", () => {
    const args = ["plain", "with space", "it's", "$HOME", 'a"b', "", "*", "x=1,y"];
    const line = args.map(shellQuote).join(" ");
    const r = spawnSync("sh", ["-c", `for a in ${line}; do printf '%s\\0' "$a"; done`], { encoding: "utf8" });
    expect(r.stdout.split("\0").slice(0, -1)).toEqual(args);
  });
});

describe("formatPlan", () => {
  const base = { env: {}, configPath: "/tmp/run dir/cfg.json", cpus: 2, isRoot: true };

  it("prints the quoted command and one line per rank", () => {
    const plan = planLaunch(
      { num_gpus: 3 },
      { ...base, worker: ["node", "bin.ts", "train", "/tmp/run dir/cfg.json"] },
    );
    const text = formatPlan(plan);
    expect(text).toContain("launch: 3 processes on this machine through mpirun\n");
    const cmd = text.split("\n")[text.split("\n").indexOf("command:") + 1]!.trim();
    expect(cmd).toBe(plan.command.map(shellQuote).join(" "));
    expect(cmd).toContain("-x 'NEOX_RESOLVED_CONFIG=/tmp/run dir/cfg.json'");
    for (let r = 0; r < 3; r++) {
      expect(text).toContain(
        `rank ${r} on localhost: RANK=${r} LOCAL_RANK=${r} WORLD_SIZE=3 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 NEOX_RESOLVED_CONFIG='/tmp/run dir/cfg.json'`,
      );
    }
  });

  it("shortens a large job to its first and last ranks", () => {
    const text = formatPlan(planLaunch({ num_gpus: 100 }, { ...base, worker: ["w"] }));
    expect(text).toContain("rank 15 on localhost");
    expect(text).not.toContain("rank 16 on localhost");
    expect(text).toContain("... 68 more ranks");
    expect(text).toContain("rank 99 on localhost");
  });

  it("says one process when there is nothing to launch", () => {
    expect(formatPlan(planLaunch({}, { ...base, worker: ["w"] }))).toBe("launch: one process, no launcher\n");
  });
});

describe("the resolved config file", () => {
  it("lives under save when set, else in a temp directory", () => {
    expect(defaultConfigPath({ save: "/ckpt" }, "42")).toBe("/ckpt/launch/resolved-config-42.json");
    expect(defaultConfigPath({ save: null }, "42")).toBe(
      join(tmpdir(), "neox-launch-42", "resolved-config.json"),
    );
  });

  it("resolves back to the same values", () => {
    const text =
      "num_layers: 2\nhidden_size: 64\nnum_attention_heads: 4\nnum_gpus: 2\noptimizer: {type: Adam, params: {lr: 0.01}}\n";
    writeFileSync(join(dir, "a.yml"), text);
    const r = resolveConfig([join(dir, "a.yml")], { overrides: ["seq_length=16"] });
    const path = join(dir, "sub", "cfg.json");
    writeResolvedConfig(path, r);
    const again = resolveConfig([path]);
    expect(again.values).toEqual(r.values);
    expect([...again.given].sort()).toEqual([...r.given].sort());
    expect(again.values.seq_length).toBe(16);
    expect(again.problems).toEqual(r.problems);
  });
});
