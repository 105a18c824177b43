import { spawnSync } from "node:child_process";
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
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

  it("checks a fragment for what it sets, and a model file for what GPT-NeoX requires, as --help says", () => {
    const dir = mkdtempSync(join(tmpdir(), "neox-config-"));
    const write = (name: string, lines: string[]) => {
      const file = join(dir, name);
      writeFileSync(file, `${lines.join("\n")}\n`);
      return file;
    };
    const model = ["num_layers: 2", "hidden_size: 64", "num_attention_heads: 4"];
    const check = (...argv: string[]) => {
      const r = runNeox(["config", "check", ...argv, "--json"]);
      const out = JSON.parse(r.stdout) as { ok: boolean; errors: { kind: string; key: string }[] };
      return {
        code: r.code,
        incomplete: out.errors.filter((e) => e.kind === "incomplete").map((e) => e.key),
      };
    };

    // No model defined: a fragment such as local_setup.yml is not asked for a batch size.
    const fragment = write("fragment.yml", ["train_iters: 10", "eval_interval: 5"]);
    expect(check(fragment)).toEqual({ code: 0, incomplete: [] });

    // A model without max_position_embeddings or a batch size: GPT-NeoX refuses to start on it.
    const bare = write("bare.yml", model);
    const r = check(bare);
    expect(r.code).toBe(1);
    expect(r.incomplete.sort()).toEqual(["max_position_embeddings", "train_batch_size"]);

    // With both it passes; --complete then asks for what training needs on top.
    const full = write("model.yml", [
      ...model,
      "max_position_embeddings: 128",
      "train_micro_batch_size_per_gpu: 4",
    ]);
    expect(check(full)).toEqual({ code: 0, incomplete: [] });
    const complete = check(full, "--complete");
    expect(complete.code).toBe(1);
    expect(complete.incomplete.sort()).toEqual(["seq_length", "train_iters"]);

    // The help describes exactly that rule.
    const help = runNeox(["config", "check", "--help"]).stdout.replace(/\s+/g, " ");
    expect(help).toContain("Files that define no model (num_layers, hidden_size, num_attention_heads)");
    expect(help).toContain("max_position_embeddings and a batch size");
    expect(help).not.toContain("A single file is checked as a fragment");
  });

  it("the generated argument reference is up to date", () => {
    const r = runNeox(["config", "docs", "--check"], { cwd: REPO_ROOT });
    expect(r.stderr).toContain("up to date");
    expect(r.code).toBe(0);
  });
});

/** No stack trace, and no error that only the top-level handler caught (it points at NEOX_DEBUG). */
function expectCleanFailure(r: { code: number; stdout: string; stderr: string }, what: string): string[] {
  expect(r.code, what).toBe(1);
  expect(r.stderr, what).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(r.stderr, what).not.toMatch(/NEOX_DEBUG|TypeError|RangeError|Maximum call stack/);
  return r.stderr.split("\n").filter((l) => l !== "");
}

describe("neox config check on hostile input", () => {
  const dir = mkdtempSync(join(tmpdir(), "neox-config-hostile-"));
  const put = (name: string, content: string | Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it("refuses files that cannot be configs, one line each, in bounded time", () => {
    const big = join(dir, "big.yml");
    const fd = openSync(big, "w");
    ftruncateSync(fd, 100 * 1024 * 1024); // sparse: 100 MiB on paper
    closeSync(fd);
    const fifo = join(dir, "fifo.yml");
    spawnSync("mkfifo", [fifo]);
    const laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++)
      laughs.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const files = [
      big,
      fifo,
      dir,
      join(dir, "missing.yml"),
      put("deep.yml", `attention_config: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`),
      put("deep-map.yml", `optimizer: ${"{a: ".repeat(10_000)}1${"}".repeat(10_000)}\n`),
      put("laughs.yml", `${laughs.join("\n")}\n`),
      put("keys.yml", Array.from({ length: 200_000 }, (_, i) => `k${i}: ${i}\n`).join("")),
      put("utf16.yml", Buffer.from("\ufeffnum_layers: 2\n", "utf16le")),
      put("binary.yml", Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe, 0x00])),
      put("nul.yml", "num_layers: 2\nseed: 1\u0000\n"),
      put("list.yml", "- num_layers: 2\n"),
      put("two-docs.yml", "seed: 1\n---\nseed: 2\n"),
    ];
    const t0 = Date.now();
    const r = runNeox(["config", "check", ...files]);
    expect(Date.now() - t0).toBeLessThan(30_000);
    const lines = expectCleanFailure(r, "hostile files");
    const problems = lines.filter((l) => !l.startsWith("note:") && !/problem\(s\)$/.test(l));
    expect(problems).toHaveLength(files.length);
    const expected = [
      /big\.yml: limit: the file is 100 MiB, over the 4 MiB limit/,
      /fifo\.yml: io: is a FIFO \(named pipe\), not a regular file/,
      /hostile-\w+: io: is a directory, not a config file/,
      /missing\.yml: io: no such file/,
      /deep\.yml:1:\d+: limit: nesting deeper than the limit of 64 levels/,
      /deep-map\.yml:1:\d+: limit: nesting deeper than the limit of 64 levels/,
      /laughs\.yml:\d+:\d+: limit: aliases expand to more than the limit of 100,000 values/,
      /keys\.yml:50001:1: limit: more than the limit of 100,000 keys and values/,
      /utf16\.yml: io: the file is UTF-16LE \(byte-order mark FF FE\); save it as UTF-8/,
      /binary\.yml:1: io: not valid UTF-8: byte 0xFF at byte offset 8/,
      /nul\.yml:2:8: yaml_syntax: a NUL byte \(U\+0000\) is not allowed/,
      /list\.yml:1:1: yaml_syntax: a config file must be a mapping of keys to values at the top level, not a list/,
      /two-docs\.yml:2:1: yaml_syntax: a second YAML document/,
    ];
    for (const [i, re] of expected.entries()) {
      expect(problems[i]).toMatch(re);
      expect(problems[i]!.startsWith(files[i]!)).toBe(true);
    }
  });

  it("checks values inside dicts and bounds sizes, crediting --set, without a stack trace", () => {
    const cfg = put(
      "model.yml",
      "num_layers: 1e10\nhidden_size: 64\nnum_attention_heads: 4\nmax_position_embeddings: 128\nseq_length: .inf\ntrain_micro_batch_size_per_gpu: 2\noptimizer:\n  type: Adam\n  params:\n    lr: 0.0006\n    betas: [0.9]\n    epsilon: 1.0e-8\nzero_optimization: {stage: 7}\n",
    );
    const r = runNeox([
      "config",
      "check",
      cfg,
      "--set",
      "optimizer.params.lr=abc",
      "--set",
      "lr=0.1",
      "--set",
      "seed=99999999999",
      "--world-size",
      "10000000000",
    ]);
    const lines = expectCleanFailure(r, "values").filter((l) => !l.startsWith("note:"));
    expect(lines.at(-1)).toBe(`${lines.length - 1} problem(s)`);
    const expected = [
      `${cfg}:1: range: num_layers: 10000000000 is out of range (expected in [1, 16,384]: the deepest models trained have ~100-200 layers)`,
      `${cfg}:5: type: seq_length: expected int, got the float Infinity`,
      `--set optimizer.params.lr=abc (command line): type: optimizer.params.lr: expected float, got the string "abc"`,
      `${cfg}:11: range: optimizer.params.betas: [0.9] is out of range (expected two numbers in [0, 1), such as [0.9, 0.95])`,
      `${cfg}:12: unknown_key: unknown key "epsilon" in optimizer.params`,
      `${cfg}:13: type: zero_optimization.stage: expected Literal[0, 1, 2, 3], got the int 7`,
      "--set seed=99999999999 (command line): range: seed: 99999999999 is out of range",
      "--set lr=0.1 (command line): combination: lr is derived from optimizer.params.lr",
      "world_size: a world size of 10000000000 processes is out of range",
    ];
    for (const e of expected)
      expect(
        lines.some((l) => l.startsWith(e)),
        `${e}\n${lines.join("\n")}`,
      ).toBe(true);
  });

  it("config show credits each dict entry to its own source and derives from the override", () => {
    const cfg = put(
      "show.yml",
      "num_layers: 2\nhidden_size: 64\nnum_attention_heads: 4\nmax_position_embeddings: 128\nseq_length: 128\ntrain_micro_batch_size_per_gpu: 2\noptimizer:\n  type: Adam\n  params:\n    lr: 0.0006\n",
    );
    const r = runNeox(["config", "show", cfg, "--set", "optimizer.params.lr=0.1"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}optimizer\.type +Adam +# .*show\.yml:8$/m);
    expect(r.stdout).toMatch(
      /^ {2}optimizer\.params\.lr +0\.1 +# --set optimizer\.params\.lr=0\.1 \(command line\)$/m,
    );
    expect(r.stdout).toMatch(/^ {2}optimizer +Adam, lr 0\.1$/m);
    const j = runNeox(["config", "show", cfg, "--set", "optimizer.params.lr=0.1", "--json"]);
    const out = JSON.parse(j.stdout);
    expect(out.lr).toBe(0.1);
    expect(out._sources["optimizer.params.lr"]).toBe("--set optimizer.params.lr=0.1 (command line)");
  });

  it("a tokenizer file that is a FIFO or garbage gives a note, not a hang or a stack trace", () => {
    const cfg = put("tok.yml", "seed: 1\n");
    const fifo = join(dir, "tok-fifo.model");
    spawnSync("mkfifo", [fifo]);
    const garbage = put("garbage.model", Uint8Array.from([0x0a, 0x03, 0x0a, 0x09, 0x61]));
    for (const [file, note] of [
      [fifo, /is not a regular file \(a pipe or a device\), so it is not read/],
      [garbage, /garbage\.model \(pieces\[0\]\): field 1 at byte 2 needs 9 bytes, but only 1 remain/],
    ] as const) {
      const r = runNeox([
        "config",
        "check",
        cfg,
        "--set",
        "tokenizer_type=SPMTokenizer",
        "--set",
        `vocab_file=${file}`,
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(note);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });
});

describe("neox config docs --output", () => {
  const dir = mkdtempSync(join(tmpdir(), "neox-config-docs-"));

  it("refuses a directory, a missing parent, a file as parent and an unwritable path; leaves no temporary", () => {
    const file = join(dir, "plain.txt");
    writeFileSync(file, "x");
    const cases: [string, RegExp][] = [
      [dir, /is a directory; give a file path such as .*neox_arguments\.md$/],
      [join(dir, "no/such/folder/ref.md"), /the folder .*no\/such\/folder does not exist; create it first$/],
      [join(file, "ref.md"), /plain\.txt is not a directory$/],
      ["/proc/neox_arguments.md", /cannot write \/proc\/neox_arguments\.md: /],
    ];
    for (const [out, message] of cases) {
      const r = runNeox(["config", "docs", "--output", out]);
      const lines = expectCleanFailure(r, out);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^neox config docs: /);
      expect(lines[0]).toMatch(message);
    }
    expect(readdirSync(dir)).toEqual(["plain.txt"]);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith(`${basename(dir)}.tmp-`))).toEqual([]);
  });

  it("writes a file path, and --check compares against it", () => {
    const out = join(dir, "ref.md");
    expect(runNeox(["config", "docs", "--output", out]).code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("# GPT-NeoX arguments");
    expect(readdirSync(dir).filter((n) => n.includes(".tmp-"))).toEqual([]);
    expect(runNeox(["config", "docs", "--check", "--output", out]).code).toBe(0);
    const check = runNeox(["config", "docs", "--check", "--output", dir]);
    expect(expectCleanFailure(check, "--check on a directory")).toEqual([
      `neox config docs: ${dir} is a directory; give a file path such as ${join(dir, "neox_arguments.md")}`,
    ]);
  });
});
