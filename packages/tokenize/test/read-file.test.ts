// Tokenizer files that are not regular files are refused before they are read: a FIFO would block
// for ever, a directory fails obscurely. The message names the tokenizer type, the path and the kind.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GPT2BPETokenizer, HFGPT2Tokenizer, HFTokenizer, SPMTokenizer } from "../src/index";
import { readTokenizerBytes } from "../src/read-file";

const dir = mkdtempSync(join(tmpdir(), "neox-tokenizer-files-"));
const fifo = join(dir, "pipe");
execFileSync("mkfifo", [fifo]);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("tokenizer files", () => {
  it("a FIFO, a directory and a missing file are refused by kind, without blocking", () => {
    expect(() => readTokenizerBytes(fifo)).toThrow("it is a named pipe (FIFO)");
    expect(() => readTokenizerBytes(dir)).toThrow("it is a directory");
    expect(() => readTokenizerBytes(join(dir, "missing.json"))).toThrow(/ENOENT/);
  });

  it("every file-backed tokenizer names itself, the path and the kind", () => {
    expect(() => new GPT2BPETokenizer(fifo, fifo)).toThrow(
      `GPT2BPETokenizer: cannot read vocab file ${fifo} (it is a named pipe (FIFO))`,
    );
    expect(() => new HFTokenizer(fifo)).toThrow(
      `HFTokenizer: cannot read vocab file ${fifo} (it is a named pipe`,
    );
    expect(() => new HFGPT2Tokenizer(fifo)).toThrow(
      `HFGPT2Tokenizer: cannot read ${fifo} (it is a named pipe`,
    );
    expect(() => new SPMTokenizer(fifo)).toThrow(`SPMTokenizer: cannot read ${fifo} (it is a named pipe`);
    expect(() => new SPMTokenizer(dir)).toThrow(`SPMTokenizer: cannot read ${dir} (it is a directory)`);
  });
});
