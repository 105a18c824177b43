// The scheduler over the inference engine (neox-spec §1.6): greedy generation with the KV cache
// gives, token for token, what recompute-everything decoding gives (a full causal forward over the
// whole sequence for every new token, the training forward, no cache), for GPT-NeoX's shape, Llama
// with GQA and Mistral with a sliding window shorter than the output; prompts of different lengths
// batched together give what each gives alone (greedy, and sampled with a per-request seed); and
// eod, stopTokens, maxTokens 0 with promptLogprobs, onToken and abort end requests as documented.
// Weights are random with a wide normal init (std 0.5, seed 7) so the logits are far from uniform and the
// greedy continuations are not one token repeated (each test checks that).
import { noGrad, scope, Tensor } from "@neox/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GptNeoXModel, InferenceEngine } from "../src/index";
import { type GenerateRequest, type GenerateResult, Scheduler } from "../src/inference/scheduler";
import { TINY_LLAMA, TINY_NEOX, tinyConfig } from "./helpers";

const WIDE = `
seq_length: 32
max_position_embeddings: 32
init_method: normal
output_layer_init_method: normal
init_method_std: 0.5
seed: 7
`;

const ARCHS = [
  ["GPT-NeoX (rotary, parallel residual)", `${TINY_NEOX}${WIDE}`],
  ["Llama with GQA (2 kv heads of 4)", `${TINY_LLAMA}${WIDE}`],
  ["Mistral: GQA, 3-token sliding window", `${TINY_LLAMA}${WIDE}sliding_window_width: 3\n`],
] as const;

const PROMPTS = [[5, 17, 3, 41, 8, 22, 9], [30], [12, 7, 44, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]];
const NEW = 14; // longer than the sliding window and than every prompt but the last

// Logits of the last position after a full forward over `ids` (no cache).
function lastLogits(model: GptNeoXModel, ids: readonly number[]): Float32Array {
  return noGrad(() =>
    scope(() => {
      const all = model
        .forward(Tensor.fromArray(Int32Array.from(ids), [1, ids.length], { dtype: "i32" }))
        .toFloat32Array();
      return all.slice(all.length - model.spec.V);
    }),
  );
}

function argmaxOf(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Greedy decoding that recomputes the whole sequence for every token. */
function recomputeGreedy(model: GptNeoXModel, prompt: readonly number[], n: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) seq.push(argmaxOf(lastLogits(model, seq)));
  return seq.slice(prompt.length);
}

function distinct(xs: readonly number[]): number {
  return new Set(xs).size;
}

async function alone(model: GptNeoXModel, req: GenerateRequest): Promise<GenerateResult> {
  const engine = new InferenceEngine(model, { slots: 1, maxT: 32 });
  try {
    return await new Scheduler(engine).submit(req);
  } finally {
    engine.dispose();
  }
}

describe("greedy with the KV cache equals recompute-everything decoding", () => {
  for (const [name, yaml] of ARCHS) {
    it(name, async () => {
      const model = GptNeoXModel.fromConfig(tinyConfig(yaml));
      const engine = new InferenceEngine(model, { slots: 4, maxT: 32 });
      try {
        const want = PROMPTS.map((p) => recomputeGreedy(model, p, NEW));
        for (const w of want) expect(distinct(w), `reference ${w}`).toBeGreaterThanOrEqual(3);
        const s = new Scheduler(engine);
        // all four at once: prefills of different lengths in one pass, then decode steps together
        const cached = await Promise.all(PROMPTS.map((prompt) => s.submit({ prompt, maxTokens: NEW })));
        const recomputed = await Promise.all(
          PROMPTS.map((prompt) => s.submit({ prompt, maxTokens: NEW, recompute: true })),
        );
        cached.forEach((r, i) => {
          expect(r.tokens, `prompt ${i}, KV cache`).toEqual(want[i]);
          expect(r.finish).toBe("length");
        });
        for (const [i, r] of recomputed.entries())
          expect(r.tokens, `prompt ${i}, recompute`).toEqual(want[i]);
      } finally {
        engine.dispose();
        model.dispose();
      }
    });
  }
});

describe("batching does not change what a request gets", () => {
  let model: GptNeoXModel;
  beforeAll(() => {
    model = GptNeoXModel.fromConfig(tinyConfig(`${TINY_NEOX}${WIDE}`));
  });
  afterAll(() => model.dispose());

  for (const [label, sampling] of [
    ["greedy", undefined],
    [
      "sampled (temperature 1.3, top_k 20, top_p 0.95; a seed per request)",
      { temperature: 1.3, topK: 20, topP: 0.95 },
    ],
  ] as const) {
    it(`${label}: 4 prompts of different lengths through 2 slots equal each run alone`, async () => {
      const reqs = PROMPTS.map((prompt, i) => ({
        prompt,
        maxTokens: NEW - i, // different lengths, so slots free and refill mid-run
        seed: 100 + i,
        ...(sampling ? { sampling } : {}),
      }));
      const solo: GenerateResult[] = [];
      for (const r of reqs) solo.push(await alone(model, r));
      const engine = new InferenceEngine(model, { slots: 2, maxT: 32 });
      try {
        const s = new Scheduler(engine);
        const together = await Promise.all(reqs.map((r) => s.submit(r)));
        together.forEach((r, i) => {
          expect(r.tokens, `prompt ${i}`).toEqual(solo[i]!.tokens);
          expect(r.tokens.length).toBe(NEW - i);
        });
        for (const r of solo) expect(distinct(r.tokens)).toBeGreaterThanOrEqual(3);
        if (sampling) {
          // the sampled continuations are not the greedy ones, and another seed gives another
          const greedy = await alone(model, { prompt: PROMPTS[0]!, maxTokens: NEW });
          expect(solo[0]!.tokens).not.toEqual(greedy.tokens);
          const reseeded = await alone(model, { ...reqs[0]!, seed: 999 });
          expect(reseeded.tokens).not.toEqual(solo[0]!.tokens);
        }
      } finally {
        engine.dispose();
      }
    });
  }
});

describe("stopping", () => {
  let model: GptNeoXModel;
  let ref: number[];
  const prompt = PROMPTS[0]!;
  // the first position k >= 2 whose token has not appeared before it in the greedy continuation
  let k: number;
  beforeAll(() => {
    model = GptNeoXModel.fromConfig(tinyConfig(`${TINY_NEOX}${WIDE}`));
    ref = recomputeGreedy(model, prompt, NEW);
    k = ref.findIndex((t, i) => i >= 2 && !ref.slice(0, i).includes(t));
    expect(k).toBeGreaterThan(0);
  });
  afterAll(() => model.dispose());

  it("the eod token ends a request and is not returned", async () => {
    const r = await alone(model, { prompt, maxTokens: NEW, eod: ref[k]! });
    expect(r.finish).toBe("eod");
    expect(r.tokens).toEqual(ref.slice(0, k));
    const past = await alone(model, { prompt, maxTokens: NEW, eod: null });
    expect(past.tokens).toEqual(ref);
  });

  it("a stop sequence ends a request; none of its tokens are returned", async () => {
    const r = await alone(model, { prompt, maxTokens: NEW, stopTokens: [[999], ref.slice(k - 1, k + 1)] });
    expect(r.finish).toBe("stop");
    expect(r.tokens).toEqual(ref.slice(0, k - 1));
    // one that begins in the prompt: the generated part alone is taken back
    const straddle = await alone(model, { prompt, maxTokens: NEW, stopTokens: [[prompt.at(-1)!, ref[0]!]] });
    expect(straddle.finish).toBe("stop");
    expect(straddle.tokens).toEqual([]);
  });

  it("onToken returning true stops with finish stop, after that token", async () => {
    const seen: number[] = [];
    const r = await alone(model, {
      prompt,
      maxTokens: NEW,
      onToken: (t, i) => {
        seen.push(t.id);
        return i === 3;
      },
    });
    expect(r.finish).toBe("stop");
    expect(r.tokens).toEqual(ref.slice(0, 4));
    expect(seen).toEqual(ref.slice(0, 4));
  });

  it("maxTokens 0 with promptLogprobs scores the prompt: log-softmax of the full forward", async () => {
    const r = await alone(model, { prompt, maxTokens: 0, promptLogprobs: true, logprobs: 2 });
    expect(r.tokens).toEqual([]);
    expect(r.finish).toBe("length");
    expect(r.promptLogprobs.length).toBe(prompt.length);
    expect(r.promptLogprobs[0]).toBeNull();
    for (let t = 1; t < prompt.length; t++) {
      const row = lastLogits(model, prompt.slice(0, t));
      const max = row.reduce((a, b) => Math.max(a, b));
      const lse = max + Math.log(row.reduce((a, b) => a + Math.exp(b - max), 0));
      const info = r.promptLogprobs[t]!;
      expect(info.id).toBe(prompt[t]);
      expect(Math.abs(info.logprob - (row[prompt[t]!]! - lse))).toBeLessThan(1e-4);
      expect(info.top[0]!.id).toBe(argmaxOf(row));
      expect(info.top.length).toBe(2);
    }
  });

  it("generated tokens' logprobs are the model's own log-softmax", async () => {
    const r = await alone(model, { prompt, maxTokens: 3, logprobs: 0 });
    r.logprobs.forEach((info, i) => {
      const row = lastLogits(model, [...prompt, ...ref.slice(0, i)]);
      const max = row.reduce((a, b) => Math.max(a, b));
      const lse = max + Math.log(row.reduce((a, b) => a + Math.exp(b - max), 0));
      expect(info.id).toBe(ref[i]);
      expect(Math.abs(info.logprob - (row[ref[i]!]! - lse))).toBeLessThan(1e-4);
    });
  });

  it("abort ends a request with the tokens made so far and frees its slot for the next", async () => {
    const engine = new InferenceEngine(model, { slots: 1, maxT: 32 });
    try {
      const s = new Scheduler(engine);
      const ac = new AbortController();
      const aborted = s.submit({
        prompt,
        maxTokens: NEW,
        signal: ac.signal,
        onToken: (_t, i) => {
          if (i === 2) ac.abort();
          return false;
        },
      });
      const next = s.submit({ prompt, maxTokens: 5 }); // waits for the only slot
      const a = await aborted;
      expect(a.finish).toBe("aborted");
      expect(a.tokens).toEqual(ref.slice(0, 3));
      expect((await next).tokens).toEqual(ref.slice(0, 5));
    } finally {
      engine.dispose();
    }
  });

  it("a request aborted while it waits for a slot leaves the queue at once, with no tokens", async () => {
    const engine = new InferenceEngine(model, { slots: 1, maxT: 32 });
    try {
      const s = new Scheduler(engine);
      const ac = new AbortController();
      let waiterDone = false;
      const first = s.submit({
        prompt,
        maxTokens: 6,
        onToken: (_t, i) => {
          if (i === 0) ac.abort(); // the waiting request is dropped while the first still runs
          if (i === 1) expect(waiterDone).toBe(true);
          return false;
        },
      });
      const waiting = s.submit({ prompt, maxTokens: 5, signal: ac.signal }).then((r) => {
        waiterDone = true;
        return r;
      });
      const w = await waiting;
      expect(w.finish).toBe("aborted");
      expect(w.tokens).toEqual([]);
      expect((await first).tokens).toEqual(ref.slice(0, 6));
      expect(s.load).toBe(0);
      const pre = new AbortController();
      pre.abort();
      expect((await s.submit({ prompt, maxTokens: 3, signal: pre.signal })).finish).toBe("aborted");
    } finally {
      engine.dispose();
    }
  });

  it("onPrompt hands over the prompt's logprobs before the first token", async () => {
    const engine = new InferenceEngine(model, { slots: 1, maxT: 32 });
    try {
      const events: string[] = [];
      const r = await new Scheduler(engine).submit({
        prompt,
        maxTokens: 2,
        promptLogprobs: true,
        logprobs: 1,
        onPrompt: (lp) => events.push(`prompt ${lp.length}`),
        onToken: (t) => {
          events.push(`token ${t.id}`);
          return false;
        },
      });
      expect(events).toEqual([`prompt ${prompt.length}`, `token ${ref[0]}`, `token ${ref[1]}`]);
      expect(r.promptLogprobs).toHaveLength(prompt.length);
    } finally {
      engine.dispose();
    }
  });

  it("a full context ends a request with finish length", async () => {
    const engine = new InferenceEngine(model, { slots: 1, maxT: prompt.length + 4 });
    try {
      const r = await new Scheduler(engine).submit({ prompt, maxTokens: NEW });
      expect(r.finish).toBe("length");
      expect(r.tokens).toEqual(ref.slice(0, 4));
    } finally {
      engine.dispose();
    }
  });

  it("rejects a bad request naming what is wrong, and keeps serving others", async () => {
    const engine = new InferenceEngine(model, { slots: 2, maxT: 32 });
    try {
      const s = new Scheduler(engine);
      await expect(s.submit({ prompt: [], maxTokens: 1 })).rejects.toThrow(/prompt/);
      await expect(s.submit({ prompt: [engine.V], maxTokens: 1 })).rejects.toThrow(/vocabulary/);
      await expect(s.submit({ prompt: new Array(33).fill(1), maxTokens: 1 })).rejects.toThrow(/context/);
      await expect(s.submit({ prompt, maxTokens: -1 })).rejects.toThrow(/maxTokens/);
      await expect(
        s.submit({ prompt, maxTokens: 1, sampling: { temperature: 0, topK: 0, topP: 2 } }),
      ).rejects.toThrow(/top_p/);
      const boom = s.submit({
        prompt,
        maxTokens: 4,
        onToken: () => {
          throw new Error("client went away");
        },
      });
      const fine = s.submit({ prompt, maxTokens: 4 });
      await expect(boom).rejects.toThrow(/client went away/);
      expect((await fine).tokens).toEqual(ref.slice(0, 4));
    } finally {
      engine.dispose();
    }
  });
});
