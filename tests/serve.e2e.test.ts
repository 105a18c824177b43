// `neox serve` as a user runs it: the server in its own process on the tiny Shakespeare checkpoint
// (char-level tokens: one byte per token, vocabulary 512), real HTTP requests with fetch, then
// SIGTERM. Numbers are checked against `neox model logits` (a separate process, one plain forward
// pass with its own float64 log-softmax) or against the same request sent alone.
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Running, spawnNeox } from "./helpers/spawn-neox";
import { type TinyCheckpoint, tinyCheckpoint, tinyModelLogits } from "./helpers/tiny-checkpoint";

const LIMIT = 2 ** 20; // --max-body-bytes
let ck: TinyCheckpoint;
let server: Running;
let base: string;

beforeAll(async () => {
  ck = await tinyCheckpoint();
  server = spawnNeox(["serve", ck.config, "--port", "0", "--slots", "8", "--max-body-bytes", String(LIMIT)]);
  const err = await server.stderrMatching(/listening on http:\/\/\S+:\d+/, 120_000);
  base = /listening on (http:\/\/\S+:\d+)/.exec(err)![1]!;
}, 300_000);

afterAll(() => {
  if (server && server.child.exitCode === null) server.child.kill("SIGKILL");
});

interface Choice {
  index: number;
  text: string;
  finish_reason: string | null;
  token_ids: number[];
  logprobs: {
    tokens: string[];
    token_logprobs: (number | null)[];
    top_logprobs: (Record<string, number> | null)[];
    text_offset: number[];
  } | null;
}

interface Answer {
  choices: Choice[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  error?: { message: string; type: string; param: string | null };
}

async function complete(body: unknown): Promise<{ status: number; json: Answer }> {
  const r = await fetch(`${base}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as Answer };
}

async function choices(body: unknown): Promise<Choice[]> {
  const r = await complete(body);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json.choices;
}

/** A streamed request: its chunks' text and token ids joined per choice, and the finish reasons. */
async function streamed(body: object): Promise<{
  text: string[];
  ids: number[][];
  finish: string[];
  done: boolean;
  logprobs: (number | null)[][];
  first: Choice[];
}> {
  const r = await fetch(`${base}/v1/completions`, {
    method: "POST",
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(r.headers.get("content-type")).toBe("text/event-stream");
  const raw = await r.text();
  const events = raw.split("\n\n").filter((e) => e !== "");
  const out = {
    text: [] as string[],
    ids: [] as number[][],
    finish: [] as string[],
    done: false,
    logprobs: [] as (number | null)[][],
    first: [] as Choice[],
  };
  for (const e of events) {
    expect(e.startsWith("data: ")).toBe(true);
    if (e === "data: [DONE]") {
      out.done = true;
      continue;
    }
    for (const c of JSON.parse(e.slice(6)).choices as Choice[]) {
      out.text[c.index] = (out.text[c.index] ?? "") + c.text;
      out.ids[c.index] = [...(out.ids[c.index] ?? []), ...(c.token_ids ?? [])];
      out.logprobs[c.index] = [...(out.logprobs[c.index] ?? []), ...(c.logprobs?.token_logprobs ?? [])];
      out.first[c.index] ??= c;
      if (c.finish_reason) out.finish[c.index] = c.finish_reason;
    }
  }
  return out;
}

const modelLogits = (ids: number[]) => tinyModelLogits(ck, ids);

const bytes = (s: string) => [...Buffer.from(s, "utf8")];

describe("neox serve", () => {
  it("lists its one model; unknown paths are 404, wrong methods 405", async () => {
    const m = (await (await fetch(`${base}/v1/models`)).json()) as { data: { id: string }[] };
    expect(m.data).toHaveLength(1);
    expect(m.data[0]!.id).toBe("model");
    expect((await fetch(`${base}/v1/nothing`)).status).toBe(404);
    const r = await fetch(`${base}/v1/completions`);
    expect([r.status, r.headers.get("allow")]).toEqual([405, "POST"]);
    expect((await fetch(`${base}/v1/models`, { method: "DELETE" })).status).toBe(405);
  });

  it("answers lm-evaluation-harness's scoring request with the logprobs `neox model logits` gives", async () => {
    const texts = [
      "ROMEO:\nWhat light through yonder window breaks?",
      "KING HENRY:\nOnce more unto the breach",
    ];
    const prompts = texts.map(bytes);
    const body = {
      model: "x",
      prompt: prompts,
      max_tokens: 0,
      temperature: 0,
      logprobs: 1,
      echo: true,
      seed: 1234,
    };
    const answer = await complete(body);
    expect(answer.status).toBe(200);
    const got = answer.json.choices;
    expect(got.map((c) => c.index)).toEqual([0, 1]);
    const promptTokens = prompts[0]!.length + prompts[1]!.length;
    expect(answer.json.usage).toEqual({
      prompt_tokens: promptTokens,
      completion_tokens: 0,
      total_tokens: promptTokens,
    });
    for (const [i, c] of got.entries()) {
      const ids = prompts[i]!;
      expect(c.token_ids).toEqual(ids);
      expect(c.finish_reason).toBe("length");
      const lp = c.logprobs!;
      expect(lp.tokens.join("")).toBe(texts[i]!.replaceAll("\n", " ")); // the char-level detokenizer's
      expect(lp.text_offset).toEqual(ids.map((_, t) => t));
      expect(lp.token_logprobs[0]).toBeNull();
      expect(lp.top_logprobs[0]).toBeNull();
      const ref = await modelLogits(ids);
      const sum = (lp.token_logprobs.slice(1) as number[]).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(-ref.loss * (ids.length - 1), 3);
      // the harness's is_greedy: the token's logprob is the best of top_logprobs exactly when it is the argmax
      for (let t = 1; t < ids.length; t++) {
        const best = Math.max(...Object.values(lp.top_logprobs[t]!));
        expect(lp.token_logprobs[t]! >= best, `position ${t}`).toBe(
          ids[t] === ref.per_position_argmax[t - 1],
        );
        expect(lp.token_logprobs[t]!).toBeLessThan(0);
      }
    }
    // the same prompts as text, one request each, and the newer harness's max_tokens 1: same scores
    const alone = await choices({ ...body, prompt: texts[1], max_tokens: 1 });
    const two = got[1]!.logprobs!.token_logprobs;
    expect(alone[0]!.logprobs!.token_logprobs.slice(0, -1)).toEqual(two);
    expect(alone[0]!.token_ids.slice(0, -1)).toEqual(prompts[1]);
  }, 60_000);

  it("decodes greedily: each new token is the argmax of `neox model logits` over prompt + completion", async () => {
    const prompt = "ROMEO:\n";
    const [c] = await choices({ prompt, max_tokens: 40, temperature: 0, top_p: 0.3, ignore_eos: true });
    expect(c!.finish_reason).toBe("length");
    expect(c!.token_ids).toHaveLength(40);
    expect(c!.text).toBe(String.fromCodePoint(...c!.token_ids.map((id) => Math.max(32, id))));
    const all = [...bytes(prompt), ...c!.token_ids];
    // offsets count from the prompt's start even when it is not echoed, as OpenAI's do
    const [o] = await choices({ prompt, max_tokens: 5, temperature: 0, ignore_eos: true, logprobs: 0 });
    expect(o!.logprobs!.text_offset).toEqual([0, 1, 2, 3, 4].map((i) => prompt.length + i));
    expect(o!.logprobs!.token_logprobs.every((x) => x !== null && x < 0)).toBe(true);
    expect(o!.token_ids).toEqual(c!.token_ids.slice(0, 5));
    const ref = await modelLogits(all);
    expect(all.slice(prompt.length)).toEqual(ref.per_position_argmax.slice(prompt.length - 1, -1));
  }, 60_000);

  it("streams chunks that join to the non-streamed text for the same seed, stop strings included", async () => {
    const req = {
      prompt: ["First Citizen:\n", "MENENIUS:\n"],
      max_tokens: 60,
      temperature: 0.9,
      seed: 7,
      ignore_eos: true,
    };
    const whole = await choices(req);
    const s = await streamed(req);
    expect(s.done).toBe(true);
    expect(s.text).toEqual(whole.map((c) => c.text));
    expect(s.ids).toEqual(whole.map((c) => c.token_ids));
    expect(s.finish).toEqual(["length", "length"]);

    // echoed prompts stream first, with their ids and their logprobs (the first null), in one chunk
    const echo = { ...req, max_tokens: 12, echo: true, logprobs: 1 };
    const echoed = await choices(echo);
    const se = await streamed(echo);
    expect(se.text).toEqual(echoed.map((c) => c.text));
    expect(se.ids).toEqual(echoed.map((c) => c.token_ids));
    // equal up to rounding: which rows share a forward pass (and so a GEMM path) depends on timing
    const want = echoed.map((c) => c.logprobs!.token_logprobs);
    expect(se.logprobs.map((l) => l.length)).toEqual(want.map((l) => l.length));
    for (const [i, l] of se.logprobs.entries()) {
      for (const [j, x] of l.entries()) {
        if (j === 0) expect(x).toBeNull();
        else expect(Math.abs(x! - want[i]![j]!)).toBeLessThan(1e-4);
      }
    }
    for (const [i, p] of req.prompt.entries()) {
      expect(se.first[i]!.text).toBe(p);
      expect(se.first[i]!.logprobs!.token_logprobs[0]).toBeNull();
      expect(se.first[i]!.logprobs!.token_logprobs.length).toBe(se.first[i]!.token_ids!.length);
    }
    expect(se.text[0]!.startsWith("First Citizen:\n")).toBe(true);

    // choice i samples with seed + i: a prompt listed twice gives two samples, each as sent alone
    const one = { prompt: "JULIET:\n", max_tokens: 30, temperature: 1, ignore_eos: true };
    const twice = await choices({ ...one, prompt: [one.prompt, one.prompt], seed: 5 });
    expect(twice[0]!.token_ids).not.toEqual(twice[1]!.token_ids);
    expect((await choices({ ...one, seed: 5 }))[0]!.token_ids).toEqual(twice[0]!.token_ids);
    expect((await choices({ ...one, seed: 6 }))[0]!.token_ids).toEqual(twice[1]!.token_ids);

    // a stop string from the middle of the first text: cut before it, in both forms of the answer
    const text = whole[0]!.text;
    const stop = text.slice(20, 23);
    const cut = text.indexOf(stop);
    const stopped = await choices({ ...req, stop: [stop, "\u0001never"] });
    expect(stopped[0]!.text).toBe(text.slice(0, cut));
    expect(stopped[0]!.finish_reason).toBe("stop");
    expect(stopped[0]!.token_ids).toEqual(whole[0]!.token_ids.slice(0, cut));
    const ss = await streamed({ ...req, stop: [stop, "\u0001never"] });
    expect(ss.text).toEqual(stopped.map((c) => c.text));
    expect(ss.finish[0]).toBe("stop");
  }, 60_000);

  it("answers each malformed body with a 400 naming the field", async () => {
    const cases: [unknown, string | null][] = [
      ["{not json", null],
      ["[1, 2]", null],
      [{ max_tokens: 3 }, "prompt"],
      [{ prompt: "" }, "prompt"],
      [{ prompt: [] }, "prompt"],
      [{ prompt: [65, 512] }, "prompt"],
      [{ prompt: [65, -3] }, "prompt"],
      [{ prompt: 42 }, "prompt"],
      [{ prompt: "a", max_tokens: -1 }, "max_tokens"],
      [{ prompt: "a", max_tokens: "many" }, "max_tokens"],
      [{ prompt: "a".repeat(100), max_tokens: 29 }, "max_tokens"],
      [{ prompt: "a".repeat(129), max_tokens: 0 }, "prompt"],
      [{ prompt: "a", logprobs: 6 }, "logprobs"],
      [{ prompt: "a", temperature: -1 }, "temperature"],
      [{ prompt: "a", top_p: 2 }, "top_p"],
      [{ prompt: "a", stop: ["a", "b", "c", "d", "e"] }, "stop"],
      [{ prompt: "a", echo: "yes" }, "echo"],
      [{ prompt: "a", n: 2 }, "n"],
    ];
    for (const [body, param] of cases) {
      const r = await complete(body);
      expect([body, r.status, r.json.error?.param, r.json.error?.type]).toEqual([
        body,
        400,
        param,
        "invalid_request_error",
      ]);
      expect(r.json.error!.message.length).toBeGreaterThan(0);
    }
    // the context exactly filled is fine
    const [c] = await choices({ prompt: "a".repeat(100), max_tokens: 28, temperature: 0, ignore_eos: true });
    expect(c!.token_ids).toHaveLength(28);
  });

  it("answers an oversized body with 413 while the client is still sending", async () => {
    const url = new URL(base);
    const sock = connect(Number(url.port), url.hostname);
    let received = "";
    sock.on("data", (d) => (received += d));
    const closed = new Promise<void>((r) => sock.on("close", () => r()));
    sock.on("error", () => {});
    sock.write(
      "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    const piece = Buffer.alloc(64 * 1024, "a");
    let sent = 0;
    // send a little past the limit, then stop sending without ending the body
    while (sent <= LIMIT + piece.length) {
      sock.write(`${piece.length.toString(16)}\r\n`);
      sock.write(piece);
      sock.write("\r\n");
      sent += piece.length;
    }
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(JSON.parse(received.slice(received.indexOf("\r\n\r\n") + 4)).error.message).toContain(
      String(LIMIT),
    );

    // a declared Content-Length over the limit is refused before its body is read
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/v1/completions`, {
        method: "POST",
        headers: { "content-length": LIMIT * 4 },
      });
      req.on("response", (res) => resolve(res.statusCode!));
      req.on("error", reject);
      req.write("{");
    });
    expect(status).toBe(413);
  });

  it("answers 32 concurrent requests each as it answers the same request alone", async () => {
    const lines = ["ROMEO:", "JULIET:", "HAMLET:", "First Citizen:", "KING:", "O", "What", "Th"];
    const reqs = Array.from({ length: 32 }, (_, i) => ({
      prompt: i % 3 === 0 ? bytes(`${lines[i % 8]}\n`) : `${lines[i % 8]}\n`,
      max_tokens: 10 + ((i * 7) % 30),
      temperature: i % 2 === 0 ? 0 : 0.8,
      top_k: i % 4 === 1 ? 20 : 0,
      seed: 100 + i,
      logprobs: i % 5 === 0 ? 2 : undefined,
      ignore_eos: true,
    }));
    const alone: Choice[] = [];
    for (const r of reqs) alone.push((await choices(r))[0]!);
    const together = await Promise.all(reqs.map(async (r) => (await choices(r))[0]!));
    for (let i = 0; i < reqs.length; i++) {
      expect([i, together[i]!.token_ids]).toEqual([i, alone[i]!.token_ids]);
      expect(together[i]!.text).toBe(alone[i]!.text);
      expect(together[i]!.token_ids).toHaveLength(reqs[i]!.max_tokens);
      const a = alone[i]!.logprobs?.token_logprobs ?? [];
      const b = together[i]!.logprobs?.token_logprobs ?? [];
      expect(b).toHaveLength(a.length);
      for (let t = 0; t < a.length; t++) expect(b[t]).toBeCloseTo(a[t]!, 4);
    }
  }, 120_000);

  it("keeps answering others while a streaming client reads nothing", async () => {
    const probe = { prompt: "ROMEO:\n", max_tokens: 20, temperature: 0, ignore_eos: true };
    const expected = (await choices(probe))[0]!;
    // a stream of 8 prompts with 5 alternatives per token, never read
    let stalledStatus = 0;
    const stalled = httpRequest(`${base}/v1/completions`, { method: "POST" }, (res) => {
      stalledStatus = res.statusCode!;
      res.pause();
    });
    stalled.on("error", () => {});
    stalled.end(
      JSON.stringify({
        prompt: Array.from({ length: 8 }, (_, i) => `${"To be or not ".slice(0, i + 3)}`),
        max_tokens: 110,
        temperature: 1,
        logprobs: 5,
        stream: true,
        ignore_eos: true,
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const got = (await choices(probe))[0]!;
    const ms = Date.now() - t0;
    expect(got.token_ids).toEqual(expected.token_ids);
    expect(stalledStatus).toBe(200);
    expect(ms).toBeLessThan(10_000);
    stalled.destroy();
  }, 60_000);

  it("stops cleanly on SIGTERM with a stream in flight: the stream ends, the listener closes, exit 0", async () => {
    const r = await fetch(`${base}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: "a", max_tokens: 120, temperature: 1, ignore_eos: true, stream: true }),
    });
    const reader = r.body!.getReader();
    await reader.read(); // under way
    server.child.kill("SIGTERM");
    let text = "";
    try {
      for (let c = await reader.read(); !c.done; c = await reader.read())
        text += Buffer.from(c.value).toString();
    } catch {
      // the connection was closed under the stream: it ended too
    }
    expect(text).not.toContain("[DONE]"); // cut short, not completed
    const f = await server.done;
    expect(f.stderr).toContain("neox serve: stopped");
    expect(f.stderr).not.toContain("interrupted");
    expect([f.code, f.signal]).toEqual([0, null]);
    await expect(fetch(`${base}/v1/models`)).rejects.toThrow();
  }, 30_000);
});
