// The preprocess_data.py command line: nargs="+" keys, required flags, clear usage errors.
import { describe, expect, it } from "vitest";
import { type PrepareArgs, parseArgs } from "../src/args";

const base = ["--input", "a.jsonl,b", "--output-prefix", "out/p", "--tokenizer-type", "HFTokenizer"];

describe("parseArgs", () => {
  it("reads GPT-NeoX's flags; --jsonl-keys takes several values", () => {
    const a = parseArgs([
      ...base,
      "--jsonl-keys",
      "text",
      "title",
      "--append-eod",
      "--workers",
      "4",
      "--num-docs=10",
    ]) as PrepareArgs;
    expect(a.input).toEqual(["a.jsonl", "b"]);
    expect(a.jsonlKeys).toEqual(["text", "title"]);
    expect([a.appendEod, a.workers, a.numDocs, a.logInterval, a.strict]).toEqual([true, 4, 10, 100, false]);
  });

  it("defaults as GPT-NeoX: key text, one worker, no eod", () => {
    const a = parseArgs(base) as PrepareArgs;
    expect([a.jsonlKeys, a.workers, a.appendEod]).toEqual([["text"], 1, false]);
  });

  it.each([
    [["--output-prefix", "p", "--tokenizer-type", "T"], /--input is required/],
    [["--input", "a.jsonl", "--tokenizer-type", "T"], /--output-prefix is required/],
    [[...base, "--workers", "0"], /--workers must be an integer >= 1, got "0"/],
    [[...base, "--worker", "2"], /unknown option --worker \(did you mean --workers\?\)/],
    [[...base, "--append-eod", "yes"], /--append-eod takes no value/],
    [[...base, "--ftfy"], /--ftfy is not supported/],
    [[...base, "--dataset-impl", "cached"], /only mmap/],
    [[...base, "--jsonl-keys", "a", "a"], /lists a key twice/],
    [
      [...base, "--jsonl-keys", "text", "../../elsewhere"],
      /"\.\.\/\.\.\/elsewhere": a key names its output file/,
    ],
    [[...base, "--jsonl-keys", "a\\b"], /a key names its output file/],
    [["--default", "--input", "x.jsonl"], /drop --input/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it("--help wins", () => {
    expect(parseArgs(["--input", "x", "--help"])).toBe("help");
  });
});
