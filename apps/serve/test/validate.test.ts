// The completions request check: every accepted form of each field, and for each bad value the
// 400 names the field (OpenAI's `param`) instead of clamping it. Limits: a 10-token vocabulary, a
// 40-position context, and a tokenizer that maps each character to its code point mod 10.
import { describe, expect, it } from "vitest";
import { type ModelLimits, parseCompletionRequest, RequestError } from "../src/index";

const limits: ModelLimits = {
  V: 10,
  maxT: 40,
  encode: (t) => [...t].map((c) => c.codePointAt(0)! % 10),
};

const parse = (body: unknown) => parseCompletionRequest(JSON.stringify(body), limits);

/** The error a body gets: [status, param]. */
function refusal(body: unknown, raw = false): [number, string | null, string] {
  try {
    parseCompletionRequest(raw ? String(body) : JSON.stringify(body), limits);
  } catch (err) {
    expect(err).toBeInstanceOf(RequestError);
    const e = err as RequestError;
    expect(e.body().error.type).toBe("invalid_request_error");
    return [e.status, e.param, e.message];
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe("parseCompletionRequest", () => {
  it("takes OpenAI's defaults: 16 tokens, temperature 1, no filter, no logprobs", () => {
    const p = parse({ prompt: "ab" });
    expect(p.prompts).toEqual([{ ids: [97 % 10, 98 % 10], text: "ab" }]);
    expect(p.maxTokens).toBe(16);
    expect(p.sampling).toEqual({ temperature: 1, topK: 0, topP: 0 });
    expect(p.logprobs).toBeNull();
    expect([p.echo, p.stream, p.ignoreEos, p.stop, p.seed]).toEqual([false, false, false, [], undefined]);
  });

  it("reads a prompt as text, token ids, or a list of either", () => {
    const q = { max_tokens: 1 };
    expect(parse({ ...q, prompt: [1, 2, 3] }).prompts).toEqual([{ ids: [1, 2, 3], text: null }]);
    expect(parse({ ...q, prompt: ["a", [4, 5]] }).prompts).toEqual([
      { ids: [97 % 10], text: "a" },
      { ids: [4, 5], text: null },
    ]);
    expect(parse({ ...q, prompt: [[9], [0, 1]] }).prompts.map((p) => p.ids)).toEqual([[9], [0, 1]]);
  });

  it("is greedy at temperature 0 whatever top_p and top_k say", () => {
    expect(parse({ prompt: "a", max_tokens: 1, temperature: 0, top_p: 0.5, top_k: 3 }).sampling).toEqual({
      temperature: 0,
      topK: 0,
      topP: 0,
    });
    expect(parse({ prompt: "a", max_tokens: 1, temperature: 0.7, top_p: 0.9, top_k: 3 }).sampling).toEqual({
      temperature: 0.7,
      topK: 3,
      topP: 0.9,
    });
    expect(parse({ prompt: "a", max_tokens: 1, top_k: -1 }).sampling.topK).toBe(0);
  });

  it("takes the scoring request lm-evaluation-harness's local-completions sends", () => {
    const p = parse({
      model: "anything",
      prompt: [
        [1, 2, 3],
        [4, 5, 6, 7],
      ],
      max_tokens: 0,
      temperature: 0,
      logprobs: 1,
      echo: true,
      seed: 1234,
    });
    expect(p.prompts.map((x) => x.ids)).toEqual([
      [1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect([p.maxTokens, p.logprobs, p.echo, p.seed]).toEqual([0, 1, true, 1234]);
  });

  it("fills a context exactly but refuses one token past it", () => {
    expect(parse({ prompt: [1, 2], max_tokens: 38 }).maxTokens).toBe(38);
    expect(refusal({ prompt: [1, 2], max_tokens: 39 }).slice(0, 2)).toEqual([400, "max_tokens"]);
    expect(parse({ prompt: new Array(40).fill(1), max_tokens: 0 }).prompts[0]!.ids).toHaveLength(40);
    expect(refusal({ prompt: new Array(41).fill(1), max_tokens: 0 }).slice(0, 2)).toEqual([400, "prompt"]);
    expect(refusal({ prompt: "a".repeat(30) }).slice(0, 2)).toEqual([400, "max_tokens"]); // 30 + the default 16
  });

  it("answers each bad field with a 400 that names it", () => {
    const cases: [unknown, string | null][] = [
      [{ max_tokens: 1 }, "prompt"],
      [{ prompt: "" }, "prompt"],
      [{ prompt: [] }, "prompt"],
      [{ prompt: [[]] }, "prompt"],
      [{ prompt: [1, 10] }, "prompt"],
      [{ prompt: [1, -1] }, "prompt"],
      [{ prompt: [1, 2.5] }, "prompt"],
      [{ prompt: [1, "a"] }, "prompt"],
      [{ prompt: 5 }, "prompt"],
      [{ prompt: "a", max_tokens: -1 }, "max_tokens"],
      [{ prompt: "a", max_tokens: 1.5 }, "max_tokens"],
      [{ prompt: "a", max_tokens: "3" }, "max_tokens"],
      [{ prompt: "a", temperature: -0.1 }, "temperature"],
      [{ prompt: "a", temperature: "hot" }, "temperature"],
      [{ prompt: "a", top_p: 1.5 }, "top_p"],
      [{ prompt: "a", top_p: -0.5 }, "top_p"],
      [{ prompt: "a", top_k: -2 }, "top_k"],
      [{ prompt: "a", logprobs: 6 }, "logprobs"],
      [{ prompt: "a", logprobs: -1 }, "logprobs"],
      [{ prompt: "a", logprobs: true }, "logprobs"],
      [{ prompt: "a", stop: ["a", "b", "c", "d", "e"] }, "stop"],
      [{ prompt: "a", stop: [1] }, "stop"],
      [{ prompt: "a", stop: "" }, "stop"],
      [{ prompt: "a", seed: 1.5 }, "seed"],
      [{ prompt: "a", echo: "yes" }, "echo"],
      [{ prompt: "a", stream: 1 }, "stream"],
      [{ prompt: "a", ignore_eos: "true" }, "ignore_eos"],
      [{ prompt: "a", n: 2 }, "n"],
      [{ prompt: "a", best_of: 3 }, "best_of"],
      [{ prompt: "a", frequency_penalty: 0.5 }, "frequency_penalty"],
      [{ prompt: "a", logit_bias: { 1: 5 } }, "logit_bias"],
      [{ prompt: "a", model: 3 }, "model"],
    ];
    for (const [body, param] of cases) {
      const [status, got, message] = refusal(body);
      expect([JSON.stringify(body), status, got]).toEqual([JSON.stringify(body), 400, param]);
      if (param) expect(message).toContain(param === "prompt" ? "prompt" : param);
    }
  });

  it("refuses a body that is not a JSON object", () => {
    for (const raw of ["{", "", "[1]", "null", '"text"'])
      expect(refusal(raw, true).slice(0, 2)).toEqual([400, null]);
  });

  it("takes null as the default, as OpenAI's clients send it", () => {
    const p = parse({ prompt: "a", max_tokens: null, stop: null, logprobs: null, n: 1, seed: null });
    expect([p.maxTokens, p.stop, p.logprobs, p.seed]).toEqual([16, [], null, undefined]);
  });
});
