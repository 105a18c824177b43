// The server in-process on a seeded (untrained) model with the char-level tokenizer: what the
// end-to-end test cannot see from outside. A client that disconnects aborts its request (the
// scheduler reports finish "aborted" long before max_tokens), a request whose generation throws
// gets a 500 while the next one is answered, a streaming client that stops reading loses its
// request once its unsent bytes pass the limit, and a stop while a request runs answers it 503.
import { request as httpRequest } from "node:http";
import { parseConfigText, resolveParsed } from "@neox/config";
import { type GenerateResult, GptNeoXModel, InferenceEngine, Scheduler } from "@neox/models";
import { CharLevelTokenizer } from "@neox/tokenize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenStrings } from "../src/choice";
import { CompletionServer } from "../src/index";

const CONFIG = `
num_layers: 2
hidden_size: 32
num_attention_heads: 4
seq_length: 512
max_position_embeddings: 512
pos_emb: rotary
hidden_dropout: 0.0
attention_dropout: 0.0
train_micro_batch_size_per_gpu: 1
`;

let model: GptNeoXModel;
let engine: InferenceEngine;
let scheduler: Scheduler;
let server: CompletionServer;
let base: string;
const results: Promise<GenerateResult>[] = [];
let failNext = false;

beforeAll(async () => {
  const tokenizer = new CharLevelTokenizer();
  const r = resolveParsed([parseConfigText(CONFIG, "tiny.yml")], { vocabSize: tokenizer.vocabSize });
  expect(r.problems).toEqual([]);
  model = GptNeoXModel.fromConfig(r);
  engine = new InferenceEngine(model, { slots: 4 });
  scheduler = new Scheduler(engine);
  // every submitted request's outcome is kept; failNext makes the next one throw mid-generation
  const submit = scheduler.submit.bind(scheduler);
  scheduler.submit = (req) => {
    const onToken = req.onToken;
    const throwing = failNext;
    failNext = false;
    const p = submit({
      ...req,
      onToken: (t, i) => {
        if (throwing && i === 2) throw new Error("a tokenizer fault");
        return onToken?.(t, i);
      },
    });
    results.push(p);
    return p;
  };
  server = new CompletionServer(
    { scheduler, tokenizer, strings: new TokenStrings(tokenizer), modelName: "tiny" },
    { V: engine.V, maxT: engine.maxT, encode: (t) => tokenizer.encode(t) },
    { maxBodyBytes: 1 << 16, stalledBytes: 1 << 18 },
  );
  const at = await server.listen(0, "127.0.0.1");
  base = `http://127.0.0.1:${at.port}`;
});

afterAll(async () => {
  await server?.close();
  engine?.dispose();
  model?.dispose();
});

type Answer = { choices: { token_ids: number[] }[]; error: { message: string; type: string } };
const json = async (r: Response) => (await r.json()) as Answer;

const post = (body: object, signal?: AbortSignal) =>
  fetch(`${base}/v1/completions`, {
    method: "POST",
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });

const long = { prompt: "abc", max_tokens: 500, temperature: 1, seed: 1, ignore_eos: true, stream: true };

describe("CompletionServer", () => {
  it("aborts the request of a client that disconnects", async () => {
    const client = new AbortController();
    const r = await post(long, client.signal);
    const reader = r.body!.getReader();
    await reader.read(); // the first chunk: generation is under way
    client.abort();
    const outcome = await results.at(-1)!;
    expect(outcome.finish).toBe("aborted");
    expect(outcome.tokens.length).toBeLessThan(500);
    expect(scheduler.load).toBe(0);
  });

  it("answers a request whose generation throws with 500, and the next one normally", async () => {
    failNext = true;
    const bad = await post({ prompt: "abc", max_tokens: 10, temperature: 0 });
    expect(bad.status).toBe(500);
    expect((await json(bad)).error.message).toContain("a tokenizer fault");
    const good = await post({ prompt: "abc", max_tokens: 10, temperature: 0, ignore_eos: true });
    expect(good.status).toBe(200);
    expect((await json(good)).choices[0]!.token_ids).toHaveLength(10);
  });

  it("drops a streaming client that stops reading once its unsent bytes pass the limit", async () => {
    const before = results.length;
    const stalled = httpRequest(`${base}/v1/completions`, { method: "POST" }, (res) => res.pause());
    stalled.on("error", () => {});
    // 32 prompts × 480 tokens with 5 alternatives each: far more than socket buffers hold
    stalled.end(JSON.stringify({ ...long, prompt: Array(32).fill("abc"), max_tokens: 480, logprobs: 5 }));
    while (results.length < before + 32) await new Promise((r) => setTimeout(r, 5));
    const outcomes = await Promise.all(results.slice(before));
    expect(outcomes.some((o) => o.finish === "aborted")).toBe(true);
    expect(outcomes.filter((o) => o.finish === "length").length).toBeLessThan(32);
    // and the server still answers
    const good = await post({ prompt: "abc", max_tokens: 5, temperature: 0, ignore_eos: true });
    expect((await json(good)).choices[0]!.token_ids).toHaveLength(5);
  }, 60_000);

  it("answers a request in flight with 503 when the server stops", async () => {
    const pending = post({ ...long, stream: false });
    while (scheduler.load === 0) await new Promise((r) => setTimeout(r, 1));
    await server.close();
    const r = await pending;
    expect(r.status).toBe(503);
    expect((await json(r)).error.type).toBe("server_error");
    expect((await results.at(-1)!).finish).toBe("aborted");
    await expect(post({ prompt: "a" })).rejects.toThrow(); // the listener is closed
  });
});
