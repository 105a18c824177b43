// What a config file may be: each class of hostile input (files that are not files, sizes, encodings,
// nesting, node counts, alias expansion, keys that are special in JavaScript) with several members,
// each refused with one problem that names the file, the limit and where, in bounded time.
import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, MAX_CONFIG_NODES, MAX_EXPANDED_NODES } from "../src/load/limits";
import { parseOverrides } from "../src/load/overrides";
import { readConfigFile } from "../src/load/read-file";
import { parseConfigText } from "../src/load/yaml-file";
import { formatProblem } from "../src/problems";
import { resolveConfig } from "../src/resolve";

const dir = mkdtempSync(join(tmpdir(), "neox-config-limits-"));
const file = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

/** Parses `text`, expecting exactly one problem of `kind` whose message matches; returns it. */
function refused(text: string, kind: string, pattern: RegExp, maxMs = 3000) {
  const t0 = Date.now();
  const p = parseConfigText(text, "hostile.yml");
  const ms = Date.now() - t0;
  expect(p.problems.map((x) => x.kind)).toEqual([kind]);
  expect(p.problems[0]!.message).toMatch(pattern);
  expect(p.problems[0]!.file).toBe("hostile.yml");
  expect(formatProblem(p.problems[0]!)).not.toContain("\n");
  expect(ms).toBeLessThan(maxMs);
  return p.problems[0]!;
}

describe("config files that are not text files", () => {
  it("refuses a missing path, a directory, a FIFO and a device without reading them", () => {
    const missing = readConfigFile(join(dir, "nope.yml")).problem!;
    expect(missing).toMatchObject({ kind: "io", message: "no such file" });
    expect(readConfigFile(dir).problem!.message).toMatch(/^is a directory, not a config file/);
    expect(readConfigFile(join(file("plain.yml", "a: 1\n"), "x.yml")).problem!.message).toMatch(
      /part of the path is not a directory/,
    );
    expect(readConfigFile("/dev/zero").problem!.message).toMatch(
      /^is a character device, not a regular file/,
    );
    if (process.platform !== "win32") {
      const fifo = join(dir, "pipe.yml");
      expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
      const t0 = Date.now();
      expect(readConfigFile(fifo).problem!.message).toMatch(/^is a FIFO \(named pipe\), not a regular file/);
      expect(Date.now() - t0).toBeLessThan(1000); // opening a FIFO for reading would block forever
    }
  });

  it("refuses a file over the size limit by its size alone (a sparse 100 MiB file costs one stat)", () => {
    const big = join(dir, "big.yml");
    const fd = openSync(big, "w");
    ftruncateSync(fd, 100 * 1024 * 1024);
    closeSync(fd);
    const t0 = Date.now();
    const p = readConfigFile(big).problem!;
    expect(Date.now() - t0).toBeLessThan(200);
    expect(p.kind).toBe("limit");
    expect(p.message).toMatch(/^the file is 100 MiB, over the 4 MiB limit for a config file/);
    const justOver = file("over.yml", `a: "${"x".repeat(MAX_CONFIG_BYTES)}"\n`);
    expect(readConfigFile(justOver).problem!.kind).toBe("limit");
    const under = `a: "${"x".repeat(MAX_CONFIG_BYTES - 16)}"\n`;
    expect(readConfigFile(file("under.yml", under)).text).toBe(under);
  });

  it("refuses UTF-16/32 and bytes that are not UTF-8 (by offset), drops a UTF-8 byte-order mark", () => {
    const bom16 = readConfigFile(file("u16.yml", Buffer.from("\ufeffa: 1\n", "utf16le"))).problem!;
    expect(bom16.message).toBe("the file is UTF-16LE (byte-order mark FF FE); save it as UTF-8");
    const be = Uint8Array.from([0xfe, 0xff, 0, 0x61]);
    expect(readConfigFile(file("u16be.yml", be)).problem!.message).toMatch(/UTF-16BE/);
    const u32 = Uint8Array.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]);
    expect(readConfigFile(file("u32.yml", u32)).problem!.message).toMatch(/UTF-32LE/);
    expect(readConfigFile(file("bom8.yml", "\ufeffseed: 3\n")).text).toBe("seed: 3\n");
    const latin1Bytes = Buffer.from("a: 1\nname: caf\xe9\n", "latin1");
    const latin1 = readConfigFile(file("latin1.yml", latin1Bytes)).problem!;
    expect(latin1).toMatchObject({ kind: "io", line: 2 });
    expect(latin1.message).toMatch(
      new RegExp(`^not valid UTF-8: byte 0xE9 at byte offset ${latin1Bytes.indexOf(0xe9)};`),
    );
    const overlong = Uint8Array.from([0x61, 0x3a, 0x20, 0xc0, 0xaf, 0x0a]);
    expect(readConfigFile(file("overlong.yml", overlong)).problem!.message).toMatch(
      /byte 0xC0 at byte offset 3/,
    );
    const surrogate = Uint8Array.from([0x61, 0x3a, 0x20, 0xed, 0xa0, 0x80]);
    expect(readConfigFile(file("surrogate.yml", surrogate)).problem!.message).toMatch(
      /0xED at byte offset 3/,
    );
  });

  it("refuses NUL and other control characters PyYAML refuses, with line and column", () => {
    const nul = refused("a: 1\nb: x\u0000y\n", "yaml_syntax", /^a NUL byte \(U\+0000\) is not allowed/);
    expect(nul).toMatchObject({ line: 2, column: 5 });
    refused("a: \u0007\n", "yaml_syntax", /control character U\+0007/);
    refused("a: 1\u001b[2J\n", "yaml_syntax", /control character U\+001B/);
    refused("a: \u0085ok\u0086\n", "yaml_syntax", /control character U\+0086/);
    refused("a: \uffff\n", "yaml_syntax", /control character U\+FFFF/);
    // tabs, CR LF, NEL and non-ASCII text are fine
    expect(parseConfigText("a:\t1\r\nb: caf\u00e9\u0085\n", "ok.yml").problems).toEqual([]);
  });

  it("refuses a top level that is not a mapping, a second document and keys that are not words", () => {
    refused("- a\n- b\n", "yaml_syntax", /must be a mapping of keys to values at the top level, not a list/);
    refused("42\n", "yaml_syntax", /not the value "42"/);
    refused('"just a string"\n', "yaml_syntax", /top level/);
    refused("a: 1\n---\nb: 2\n", "yaml_syntax", /a second YAML document/);
    refused("? [a, b]\n: 1\n", "yaml_syntax", /a key must be a plain word, not a list/);
    refused("? {a: 1}\n: 1\n", "yaml_syntax", /a key must be a plain word, not a mapping/);
    refused(": 1\n", "yaml_syntax", /key is missing/);
    expect(parseConfigText("", "e.yml")).toMatchObject({ values: {}, problems: [] });
  });
});

describe("parse limits", () => {
  const deepFlowSeq = (n: number) => `a: ${"[".repeat(n)}${"]".repeat(n)}\n`;
  const deepFlowMap = (n: number) => `a: ${"{b: ".repeat(n)}1${"}".repeat(n)}\n`;
  const deepBlockMap = (n: number) =>
    `${Array.from({ length: n }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")} 1\n`;
  const deepBlockSeq = (n: number) =>
    `a:\n${Array.from({ length: n }, (_, i) => `${" ".repeat(i * 2)}-`).join("\n")} 1\n`;

  it("refuses nesting past the depth limit (flow and block, lists and maps), keeps what is within", () => {
    for (const make of [deepFlowSeq, deepFlowMap]) {
      const p = refused(make(10_000), "limit", /nesting deeper than the limit of 64 levels/);
      expect(p.line).toBe(1);
      expect(parseConfigText(make(MAX_CONFIG_DEPTH - 2), "ok.yml").problems).toEqual([]);
    }
    refused(deepBlockMap(2000), "limit", /nesting deeper than the limit of 64/);
    refused(deepBlockSeq(2000), "limit", /nesting deeper than the limit of 64/);
    // compact nesting on one line is not YAML: syntax errors, quickly, and no stack overflow
    const compact = parseConfigText(`a: ${"- ".repeat(5000)}x\n`, "c.yml").problems;
    expect(compact.length).toBeGreaterThan(0);
    expect(compact.every((x) => x.kind === "yaml_syntax" || x.kind === "limit")).toBe(true);
    expect(parseConfigText(deepBlockMap(40), "ok.yml").problems).toEqual([]);
  });

  it("refuses more keys and values than the node limit, early (not after building every node)", () => {
    const keys = Array.from({ length: 200_000 }, (_, i) => `k${i}: ${i}\n`).join("");
    const p = refused(keys, "limit", /more than the limit of 100,000 keys and values/);
    expect(p.line).toBe(MAX_CONFIG_NODES / 2 + 1); // a key and its value are two nodes
    refused(`a: [${"1,".repeat(1_000_000)}1]\n`, "limit", /more than the limit of 100,000/);
    refused(`a:\n${"- x\n".repeat(150_000)}`, "limit", /more than the limit of 100,000/);
    refused(`a: {${Array.from({ length: 60_000 }, (_, i) => `k${i}: 1`).join(", ")}}\n`, "limit", /100,000/);
    const within = Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}\n`).join("");
    expect(Object.keys(parseConfigText(within, "ok.yml").values)).toHaveLength(20_000);
  });

  it("expands aliases and merge keys, and refuses an expansion past the limit (billion laughs)", () => {
    const ok = parseConfigText(
      "base: &opt {type: Adam, params: {lr: 0.1}}\noptimizer: *opt\nfp16: {<<: {enabled: true, hysteresis: 2}, hysteresis: 4}\n",
      "ok.yml",
    );
    expect(ok.problems).toEqual([]);
    expect(ok.values.optimizer).toEqual({ type: "Adam", params: { lr: 0.1 } });
    expect(ok.values.fp16).toEqual({ enabled: true, hysteresis: 4 });
    const lists = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++)
      lists.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    refused(`${lists.join("\n")}\n`, "limit", /aliases expand to more than the limit of 100,000 values/);
    const maps = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}"];
    for (let i = 1; i < 12; i++)
      maps.push(
        `m${i}: &m${i} {${"abcdefgh"
          .split("")
          .map((k) => `${k}: *m${i - 1}`)
          .join(", ")}}`,
      );
    refused(`${maps.join("\n")}\n`, "limit", /billion laughs/);
    const merges = ["m0: &m0 {a: 1}"];
    for (let i = 1; i < 30; i++)
      merges.push(`m${i}: &m${i} {<<: [*m${i - 1}], x${i}: [*m${i - 1}, *m${i - 1}]}`);
    refused(`${merges.join("\n")}\n`, "limit", /limit of 100,000 values/);
    // an alias chain deeper than the depth limit once expanded
    const chain = ["c0: &c0 [x]"];
    for (let i = 1; i < 100; i++) chain.push(`c${i}: &c${i} [*c${i - 1}]`);
    refused(`${chain.join("\n")}\n`, "limit", /aliases expand to nesting deeper than the limit of 64/);
    expect(MAX_EXPANDED_NODES).toBe(100_000);
    refused("a: *nowhere\n", "yaml_syntax", /./);
  });

  it("keeps keys that are special in JavaScript as plain keys, and --set cannot pollute a prototype", () => {
    const p = parseConfigText(
      'sparsity_config: {__proto__: {x: 1}, constructor: 2}\n"__proto__": 3\n',
      "p.yml",
    );
    expect(Object.keys(p.values)).toEqual(["sparsity_config", "__proto__"]);
    expect(Object.getPrototypeOf(p.values)).toBe(Object.prototype);
    expect(Object.keys(p.values.sparsity_config as object)).toEqual(["__proto__", "constructor"]);
    const o = parseOverrides(["__proto__.polluted=1", "constructor.prototype.polluted=2", "toString=3"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(o.values)).toEqual(["__proto__", "constructor", "toString"]);
    const r = resolveConfig([file("proto.yml", "__proto__: {polluted: 1}\n")]);
    expect(r.problems.map((x) => `${x.kind}:${x.key}`)).toEqual(["unknown_key:__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
