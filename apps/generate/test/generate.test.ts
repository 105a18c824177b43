// neox generate's pieces in process: settings read from a config (errors name the key), prompts
// from a file as GPT-NeoX splits them, the token budget as GPT-NeoX's stream_tokens loop counts it,
// per-prompt seeds, the output record's fields, streamed text, and the interactive loop driven
// through in-memory streams on a small random-weight model with the byte-level tokenizer.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { parseConfigText, type ResolvedConfig, resolveParsed } from "@neox/config";
import { GptNeoXModel, InferenceEngine, Scheduler } from "@neox/models";
import { CharLevelTokenizer } from "@neox/tokenize";
import { describe, expect, it } from "vitest";
import {
  GenerateConfigError,
  generateSamples,
  interactive,
  maxNewTokens,
  PROMPT,
  PromptError,
  parseArgs,
  preparePrompt,
  promptSeed,
  readPromptFile,
  readSettings,
  TextStream,
  toRecord,
  UsageError,
  writeSamples,
} from "../src/index";

const MODEL = `
num_layers: 2
hidden_size: 32
num_attention_heads: 4
seq_length: 48
max_position_embeddings: 48
pos_emb: rotary
tokenizer_type: CharLevelTokenizer
init_method: normal
output_layer_init_method: normal
init_method_std: 0.5
train_micro_batch_size_per_gpu: 1
`;

function config(extra = ""): ResolvedConfig {
  const r = resolveParsed([parseConfigText(MODEL, "model.yml"), parseConfigText(extra, "extra.yml")], {
    vocabSize: 512,
  });
  expect(r.problems).toEqual([]);
  return r;
}

const tok = new CharLevelTokenizer();

describe("settings", () => {
  it("reads GPT-NeoX's keys; maximum_tokens null means up to the context", () => {
    const s = readSettings(config("temperature: 0.7\ntop_k: 5\ntop_p: 0.9\nmaximum_tokens: null\nseed: 9\n"));
    expect(s.mode).toBe("unconditional");
    expect(s.sampling).toEqual({ temperature: 0.7, topK: 5, topP: 0.9 });
    expect(s.maximumTokens).toBeNull();
    expect(s.seed).toBe(9);
    expect(s.outputFile).toBe("samples.txt"); // GPT-NeoX's default, in every mode
    expect(readSettings(config("sample_input_file: p.txt\n")).mode).toBe("input-file");
  });

  it("errors name the key", () => {
    expect(() => readSettings(config("text_gen_type: input-file\n"))).toThrow(/sample_input_file/);
    expect(() => readSettings(config("text_gen_type: sideways\n"))).toThrow(GenerateConfigError);
    expect(() => readSettings(config("text_gen_type: sideways\n"))).toThrow(/text_gen_type/);
  });

  it("flags: --set, --batch, --weights; GPT-NeoX's settings are not flags", () => {
    expect(parseArgs(["a.yml", "--set", "top_k=3", "--batch=4", "--weights", "bf16"])).toEqual({
      configs: ["a.yml"],
      overrides: ["top_k=3"],
      batch: 4,
      weights: "bf16",
    });
    expect(() => parseArgs(["a.yml", "--text-gen-type", "x"])).toThrow(/--set text_gen_type=/);
    expect(() => parseArgs(["a.yml", "--batch", "0"])).toThrow(UsageError);
    expect(() => parseArgs([])).toThrow(/no config/);
  });
});

describe("prompts", () => {
  it("an input file is split on prompt_end, each prompt stripped, empty ones dropped", () => {
    const dir = mkdtempSync(join(tmpdir(), "neox-generate-"));
    const file = join(dir, "prompts.txt");
    writeFileSync(file, "  First one \n\n\t\nSecond\r\n  third  ");
    expect(readPromptFile(file, "\n")).toEqual(["First one", "Second", "third"]);
    writeFileSync(file, "a\nb<END>  \n c <END><END>");
    expect(readPromptFile(file, "<END>")).toEqual(["a\nb", "c"]);
    expect(() => readPromptFile(join(dir, "missing.txt"), "\n")).toThrow(/sample_input_file .*missing\.txt/);
  });

  it("the empty prompt is [eod]; a prompt longer than the context names itself", () => {
    const s = readSettings(config());
    expect(preparePrompt("", tok, s, "p").tokens).toEqual([tok.eod]);
    expect(preparePrompt("Hi", tok, s, "p").tokens).toEqual(tok.encode("Hi"));
    expect(() => preparePrompt("x".repeat(49), tok, s, "prompts.txt prompt 3")).toThrow(PromptError);
    expect(() => preparePrompt("x".repeat(49), tok, s, "prompts.txt prompt 3")).toThrow(
      /prompts\.txt prompt 3 is 49 tokens.*seq_length/,
    );
  });

  it("the budget is what GPT-NeoX's stream_tokens loop generates", () => {
    // stream_tokens: maximum_tokens = maximum_tokens or (seq_length - context - 1); tokens are
    // made at indices context .. min(seq_length - 1, context + maximum_tokens - 1)
    const neox = (seq: number, ctx: number, max: number | null) => {
      const m = max || seq - ctx - 1;
      let n = 0;
      for (let i = ctx; i <= Math.min(seq - 1, ctx + m - 1); i++) n++;
      return n;
    };
    for (const max of [null, 1, 5, 64, 200])
      for (const ctx of [1, 10, 47, 48]) {
        const s = { ...readSettings(config()), maximumTokens: max, seqLength: 48 };
        expect(maxNewTokens(s, ctx), `maximum_tokens ${max}, context ${ctx}`).toBe(neox(48, ctx, max));
      }
  });

  it("each prompt has its own seed, fixed by (seed, index)", () => {
    const seeds = Array.from({ length: 100 }, (_, i) => promptSeed(1234, i));
    expect(new Set(seeds).size).toBe(100);
    expect(promptSeed(1234, 7)).toBe(seeds[7]);
    expect(promptSeed(1235, 7)).not.toBe(seeds[7]);
  });
});

describe("records and streamed text", () => {
  it("GPT-NeoX's fields: no tokens is the 'did not start' warning; eod is finished", () => {
    const p = { context: "Hi", tokens: tok.encode("Hi"), maxTokens: 4 };
    const none = toRecord(p, { tokens: [], logprobs: [], promptLogprobs: [], finish: "length" }, tok, 0.5);
    expect(none).toEqual({
      context: "Hi",
      text: null,
      length: 0,
      finished: false,
      message: "WARNING: text generation did not start; try different batching or adjust parameters",
      duration_seconds: 0.5,
      token_ids: [],
    });
    const ids = tok.encode("yo");
    const eod = toRecord(p, { tokens: ids, logprobs: [], promptLogprobs: [], finish: "eod" }, tok, 1);
    expect(eod).toMatchObject({ text: "yo", length: 2, finished: true, message: null, token_ids: ids });
  });

  it("TextStream shows each character once, holding back a split UTF-8 character", () => {
    const bytes = [...new TextEncoder().encode("aé")]; // 'é' is two bytes
    const bytesTok = {
      ...tok,
      decode: (ids: readonly number[]) => new TextDecoder().decode(Uint8Array.from(ids)),
    } as unknown as CharLevelTokenizer;
    const s = new TextStream(bytesTok);
    expect(bytes.map((b) => s.push(b))).toEqual(["a", "", "é"]);
    expect(s.end()).toBe("");
  });

  it("writeSamples writes one JSON object per line, atomically", () => {
    const dir = mkdtempSync(join(tmpdir(), "neox-generate-"));
    const file = join(dir, "sub", "out.jsonl");
    const rec = toRecord(
      { context: "", tokens: [0], maxTokens: 1 },
      { tokens: [72], logprobs: [], promptLogprobs: [], finish: "length" },
      tok,
      0,
    );
    writeSamples(file, [rec, rec]);
    const lines = readFileSync(file, "utf8").split("\n");
    expect(lines.length).toBe(3);
    expect(JSON.parse(lines[1]!)).toEqual(rec);
    expect(lines[2]).toBe("");
  });
});

describe("generation through the scheduler on a random-weight model", () => {
  it("batched prompts of different lengths give what each gives alone (sampled, seeded)", async () => {
    const r = config("temperature: 1.0\ntop_p: 0.95\nmaximum_tokens: 12\n");
    const s = readSettings(r);
    const model = GptNeoXModel.fromConfig(r);
    try {
      const prompts = ["To be", "", "Or not to be, that is"].map((c) => preparePrompt(c, tok, s, "p"));
      const run = async (slots: number, ps = prompts, firstIndex = 0) => {
        const engine = new InferenceEngine(model, { slots, maxT: 48 });
        try {
          return await generateSamples(new Scheduler(engine), tok, ps, s, { firstIndex });
        } finally {
          engine.dispose();
        }
      };
      const together = await run(3);
      const alone = await Promise.all(prompts.map((p, i) => run(1, [p], i)));
      expect(together.map((x) => x.token_ids)).toEqual(alone.map((x) => x[0]!.token_ids));
      for (const rec of together) expect(rec.length).toBeGreaterThan(0);
      // and the three samples differ from one another (different seeds, different contexts)
      expect(new Set(together.map((x) => x.token_ids.join())).size).toBe(3);
    } finally {
      model.dispose();
    }
  });

  it("interactive: a prompt per line from the input, completions streamed to the output", async () => {
    const r = config("maximum_tokens: 6\n");
    const s = readSettings(r);
    const model = GptNeoXModel.fromConfig(r);
    const engine = new InferenceEngine(model, { slots: 1, maxT: 48 });
    try {
      const input = new PassThrough();
      const output = new PassThrough();
      const errors = new PassThrough();
      let shown = "";
      let writes = 0;
      output.on("data", (d) => {
        shown += d;
        writes++;
      });
      input.end("Hello\n\nWorld\n");
      const n = await interactive(new Scheduler(engine), tok, s, { input, output, errors });
      expect(n).toBe(3);
      // what was shown is the prompt marker, then each completion (as the batch path makes it)
      const batch = await generateSamples(
        new Scheduler(engine),
        tok,
        ["Hello", "", "World"].map((c) => preparePrompt(c, tok, s, "p")),
        s,
      );
      const want = batch.map((b) => `${PROMPT}${b.text ?? ""}\n`).join("") + PROMPT;
      expect(shown).toBe(want);
      // streamed: a write per token (each byte-level token is one character), not one per prompt
      const tokens = batch.reduce((a, b) => a + b.length, 0);
      expect(tokens).toBeGreaterThan(3);
      expect(writes).toBeGreaterThanOrEqual(tokens);
    } finally {
      engine.dispose();
      model.dispose();
    }
  });
});
