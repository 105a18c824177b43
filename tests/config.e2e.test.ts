import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runNeox } from "./helpers/run-neox";
import { haveShared, SHARED } from "./helpers/shared";

describe.runIf(haveShared())("neox config show", () => {
  it("resolves Pythia-70M on 32 GPUs with the 20B tokenizer", () => {
    const tok = resolve(SHARED, "data/tokenizers/gpt-neox-20b/tokenizer.json");
    const r = runNeox([
      "config",
      "show",
      "configs/pythia/70M.yml",
      "configs/local_setup.yml",
      "--world-size",
      "32",
      "--set",
      `vocab_file=${tok}`,
      "--json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.stdout);
    expect(cfg).toMatchObject({
      train_batch_size: 1024,
      padded_vocab_size: 50304,
      num_layers: 6,
      hidden_size: 512,
      num_attention_heads: 8,
      vocab_file: tok,
    });
    expect(cfg._sources.vocab_file).toBe(`--set vocab_file=${tok} (command line)`);
    expect(cfg._sources.num_layers).toMatch(/^configs\/pythia\/70M\.yml:\d+$/);
  });

  it("reports padded_vocab_size null with a note when the tokenizer cannot be read", () => {
    const r = runNeox([
      "config",
      "show",
      "configs/pythia/70M.yml",
      "--set",
      "vocab_file=/nonexistent/tok.json",
    ]);
    expect(r.stdout).toContain("padded_vocab_size is null");
    const j = runNeox([
      "config",
      "show",
      "configs/pythia/70M.yml",
      "--set",
      "vocab_file=/nonexistent/tok.json",
      "--json",
    ]);
    expect(JSON.parse(j.stdout).padded_vocab_size).toBeNull();
  });
});

describe("neox config check", () => {
  it("reports a misspelt key, a wrong type and a bad combination in one run, exit 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "neox-config-"));
    const file = join(dir, "bad.yml");
    writeFileSync(
      file,
      [
        "num_layer: 12", // misspelt
        "hidden_size: 768",
        "num_attention_heads: 12",
        'seq_length: "2048"', // wrong type
        "max_position_embeddings: 1024", // smaller than seq_length... but seq_length is a string
        "num_kv_heads: 5", // does not divide 12
        "",
      ].join("\n"),
    );
    const r = runNeox(["config", "check", file, "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    const byKind = (k: string) => out.errors.filter((e: { kind: string }) => e.kind === k);
    expect(byKind("unknown_key")[0]).toMatchObject({ key: "num_layer", file, line: 1 });
    expect(byKind("unknown_key")[0].message).toContain('did you mean "num_layers"');
    expect(byKind("type")[0]).toMatchObject({ key: "seq_length", file, line: 4 });
    expect(byKind("combination")[0]).toMatchObject({ key: "num_kv_heads", file, line: 6 });

    const human = runNeox(["config", "check", file]);
    expect(human.code).toBe(1);
    expect(human.stdout).toBe("");
    expect(human.stderr).toContain(`${file}:1:`);
    expect(human.stderr).toContain(`${file}:4:`);
    expect(human.stderr).toContain(`${file}:6:`);
  });

  it("passes a preset and exits 0", () => {
    const r = runNeox(["config", "check", "configs/tiny.yml", "--complete", "--json"]);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, errors: [] });
    expect(r.code).toBe(0);
  });

  it("the generated argument reference is up to date", () => {
    const r = runNeox(["config", "docs", "--check"], { cwd: REPO_ROOT });
    expect(r.stderr).toContain("up to date");
    expect(r.code).toBe(0);
  });
});
