// Tokenizer files through hf-export and hf-import, with GPT-NeoX-20B's real tokenizer.json: copied
// both ways, bos/eos from its end-of-document token, the imported config naming the copy and
// padding its vocabulary to the embedding's rows; a tokenizer larger than the embedding refused.
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { formatProblem, parseConfigText, resolveParsed } from "@neox/config";
import { describe, expect, it } from "vitest";
import { hfExport } from "../src/hf-export";
import { hfImport } from "../src/hf-import";
import { LLAMA_GQA, NEOX, tinyCheckpoint, tmp } from "./hf-helpers";

const TOKENIZER = resolve(
  fileURLToPath(import.meta.url),
  "../../../../../shared/data/tokenizers/gpt-neox-20b/tokenizer.json",
);
const tj = JSON.parse(readFileSync(TOKENIZER, "utf8"));
const EOD: number = tj.added_tokens.find((t: { content: string }) => t.content === "<|endoftext|>").id;
const IDS =
  Math.max(
    ...tj.added_tokens.map((t: { id: number }) => t.id),
    ...(Object.values(tj.model.vocab) as number[]),
  ) + 1;

describe("tokenizer files", () => {
  it("are copied out and back, named by the imported config, which pads to the embedding", () => {
    const extra = `tokenizer_type: HFTokenizer\nvocab_file: ${TOKENIZER}\nmake_vocab_size_divisible_by: 128\n`;
    const ck = tinyCheckpoint(NEOX, extra, IDS);
    const V = ck.model.spec.V;
    expect(V).toBe(Math.ceil(IDS / 128) * 128);
    const hf = join(tmp("out"), "hf");
    const r = hfExport({ input: ck.save, output: hf, architecture: "neox" });
    expect(r.files).toEqual(expect.arrayContaining(["tokenizer.json", "tokenizer_config.json"]));
    expect(Buffer.compare(readFileSync(join(hf, "tokenizer.json")), readFileSync(TOKENIZER))).toBe(0);
    const config = JSON.parse(readFileSync(join(hf, "config.json"), "utf8"));
    expect([config.bos_token_id, config.eos_token_id]).toEqual([EOD, EOD]);
    const gen = JSON.parse(readFileSync(join(hf, "generation_config.json"), "utf8"));
    expect([gen.bos_token_id, gen.eos_token_id]).toEqual([EOD, EOD]);

    const out = join(tmp("out"), "ckpt");
    const back = hfImport({ input: hf, output: out });
    const copied = join(out, "tokenizer.json");
    expect(Buffer.compare(readFileSync(copied), readFileSync(TOKENIZER))).toBe(0);
    expect(back.configYaml).toContain(`vocab_file: ${JSON.stringify(copied)}`);
    const resolved = resolveParsed([parseConfigText(back.configYaml, "model.yml")], { vocabSize: IDS });
    expect(resolved.problems.map(formatProblem)).toEqual([]);
    expect(resolved.values.tokenizer_type).toBe("HFTokenizer");
    expect(resolved.derived.padded_vocab_size).toBe(V);
  });

  it("a tokenizer with more ids than the embedding has rows is refused, naming both", () => {
    const ck = tinyCheckpoint(LLAMA_GQA);
    const hf = join(tmp("out"), "hf");
    hfExport({ input: ck.save, output: hf, architecture: "llama" });
    cpSync(TOKENIZER, join(hf, "tokenizer.json"));
    const out = join(tmp("out"), "ckpt");
    expect(() => hfImport({ input: hf, output: out })).toThrow(
      new RegExp(`tokenizer\\.json: ${IDS} token ids, but .*vocab_size ${ck.model.spec.V} `),
    );
    expect(existsSync(out)).toBe(false);
  });
});
