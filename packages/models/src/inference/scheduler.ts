// Continuous batching over an InferenceEngine: requests arrive at any time (`submit`), wait for a
// free cache slot, are prefilled, then advance one token per step beside every other active
// request; each step is one engine pass whose segments are the waiting prompts (prefills) and one
// token for each decoding request. A finished request frees its slot at once for the next. Steps
// yield to the event loop between passes, so a server keeps reading and writing sockets, and a
// request's callbacks (streaming) run as its tokens are made.
// Stopping: `maxTokens` new tokens; the end-of-document token (`eod`, unless null); any of
// `stopTokens` (token sequences) completed; the context full (finish "length"); `onToken`
// returning true (a stop string the caller matched, finish "stop"); the signal aborting.
// Stop tokens and the eod token are not part of the returned tokens.
import type { Engine, EngineOutput } from "./engine";
import { checkSampling, GREEDY, isGreedy, Rng, type SamplingParams, sample, tokenLogprobs } from "./sampling";

export interface TokenInfo {
  id: number;
  /** log-softmax of the raw logits at this token. */
  logprob: number;
  /** The most likely tokens at this position, most likely first (as many as `logprobs` asks). */
  top: { id: number; logprob: number }[];
}

export interface GenerateRequest {
  /** Context token ids; at least one (GPT-NeoX's unconditional context is [eod]). */
  prompt: readonly number[];
  /** New tokens at most; 0 runs the prompt alone (scoring with `promptLogprobs`). */
  maxTokens: number;
  sampling?: SamplingParams;
  /** Seed of this request's sampler; the same seed and inputs give the same tokens. */
  seed?: number;
  /** Ends generation when produced; null keeps going past it. */
  eod?: number | null;
  stopTokens?: readonly (readonly number[])[];
  /** Alternatives reported per generated token (0: the chosen token's logprob alone). */
  logprobs?: number;
  /** Also score the prompt: logprob of each prompt token after the first (first is null). */
  promptLogprobs?: boolean;
  /** Recompute the whole sequence each step instead of using the KV cache (GPT-NeoX recompute). */
  recompute?: boolean;
  /** With promptLogprobs: called with them once the prompt is scored, before the first token. */
  onPrompt?: (promptLogprobs: readonly (TokenInfo | null)[]) => void;
  /** Called with each token as it is made; returning true stops the request (finish "stop"). */
  onToken?: (token: TokenInfo, index: number) => boolean | undefined;
  signal?: AbortSignal;
}

export type FinishReason = "length" | "eod" | "stop" | "aborted";

export interface GenerateResult {
  tokens: number[];
  /** One per token in `tokens` (when `logprobs` was given, else empty). */
  logprobs: TokenInfo[];
  /** One per prompt token, null for the first (when `promptLogprobs`). */
  promptLogprobs: (TokenInfo | null)[];
  finish: FinishReason;
}

interface Active {
  req: GenerateRequest;
  slot: number;
  rng: Rng;
  sampling: SamplingParams;
  /** Tokens of the sequence so far (prompt, then generated, stop tokens included). */
  seq: number[];
  /** Tokens not yet fed to the engine. */
  pending: number[];
  result: GenerateResult;
  resolve: (r: GenerateResult) => void;
  reject: (e: unknown) => void;
}

export class Scheduler {
  private readonly waiting: Active[] = [];
  private readonly active = new Map<number, Active>();
  private running = false;

  constructor(
    readonly engine: Engine,
    private readonly opts: { prefillTokens?: number } = {},
  ) {}

  /** Requests waiting for a slot plus those generating. */
  get load(): number {
    return this.waiting.length + this.active.size;
  }

  submit(req: GenerateRequest): Promise<GenerateResult> {
    return new Promise((resolve, reject) => {
      try {
        checkRequest(req, this.engine);
      } catch (err) {
        reject(err);
        return;
      }
      const a: Active = {
        req,
        slot: -1,
        rng: new Rng(req.seed ?? 0),
        sampling: req.sampling ?? GREEDY,
        seq: [...req.prompt],
        pending: [...req.prompt],
        result: { tokens: [], logprobs: [], promptLogprobs: [], finish: "length" },
        resolve,
        reject,
      };
      if (req.signal?.aborted) {
        a.result.finish = "aborted";
        resolve(a.result);
        return;
      }
      // A request aborted while it waits for a slot leaves the queue at once (an active one is
      // finished at the next step).
      req.signal?.addEventListener(
        "abort",
        () => {
          const at = this.waiting.indexOf(a);
          if (at < 0) return;
          this.waiting.splice(at, 1);
          a.result.finish = "aborted";
          resolve(a.result);
        },
        { once: true },
      );
      this.waiting.push(a);
      if (!this.running) void this.pump();
    });
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0 || this.active.size > 0) {
        this.admit();
        this.step();
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.running = false;
    }
  }

  // Moves waiting requests into free slots, oldest first.
  private admit(): void {
    for (let slot = 0; slot < this.engine.slots && this.waiting.length > 0; slot++) {
      if (this.active.has(slot)) continue;
      const a = this.waiting.shift()!;
      a.slot = slot;
      this.engine.reset(slot);
      this.active.set(slot, a);
    }
  }

  private step(): void {
    const batch: Active[] = [];
    let budget = this.opts.prefillTokens ?? 4096;
    for (const a of this.active.values()) {
      if (a.req.signal?.aborted) {
        this.finish(a, "aborted");
        continue;
      }
      const feed = a.req.recompute ? a.seq.length : a.pending.length;
      if (feed > 1 && batch.length > 0 && feed > budget) continue; // a long prefill waits its turn
      budget -= feed;
      batch.push(a);
    }
    if (batch.length === 0) return;
    let out: EngineOutput;
    const segments = batch.map((a) => {
      const scorePrompt = a.req.promptLogprobs === true && a.result.promptLogprobs.length === 0;
      if (a.req.recompute) this.engine.reset(a.slot);
      const tokens = a.req.recompute ? a.seq : a.pending;
      return { slot: a.slot, tokens, ...(scorePrompt ? { logitsFrom: 0 } : {}) };
    });
    // Greedy rows take the engine's native argmax; the V-wide rows come to the host only when a
    // request samples, reports log-probabilities or scores its prompt.
    const logits = batch.some(
      (a, i) => !isGreedy(a.sampling) || a.req.logprobs !== undefined || segments[i]!.logitsFrom === 0,
    );
    try {
      out = this.engine.forward(segments, { logits });
    } catch (err) {
      for (const a of batch) this.fail(a, err);
      return;
    }
    batch.forEach((a, i) => {
      const seg = segments[i]!;
      const rows = seg.tokens.length - (seg.logitsFrom ?? seg.tokens.length - 1);
      const rowAt = (r: number) =>
        out.logits.subarray((out.offsets[i]! + r) * out.V, (out.offsets[i]! + r + 1) * out.V);
      if (seg.logitsFrom === 0) {
        a.result.promptLogprobs.push(null);
        for (let r = 0; r + 1 < rows; r++) {
          const info = tokenLogprobs(rowAt(r), seg.tokens[r + 1]!, a.req.logprobs ?? 0);
          a.result.promptLogprobs.push({ id: seg.tokens[r + 1]!, ...info });
        }
        try {
          a.req.onPrompt?.(a.result.promptLogprobs);
        } catch (err) {
          this.fail(a, err);
          return;
        }
      }
      a.pending = [];
      try {
        const done = this.advance(a, rowAt(rows - 1), out.argmax[out.offsets[i]! + rows - 1]!);
        if (done) this.finish(a, done);
      } catch (err) {
        this.fail(a, err); // a throwing onToken ends its own request, no other
      }
    });
  }

  // Chooses a's next token from its last logits row (`greedy`: that row's argmax) and reports it;
  // returns why a is done, if it is.
  private advance(a: Active, row: Float32Array, greedy: number): FinishReason | null {
    const r = a.req;
    if (a.result.tokens.length >= r.maxTokens) return "length";
    const id = isGreedy(a.sampling) ? greedy : sample(row, a.sampling, a.rng);
    a.seq.push(id);
    if (r.eod !== undefined && r.eod !== null && id === r.eod) return "eod";
    const stop = r.stopTokens?.find((s) => s.length > 0 && endsWith(a.seq, s));
    if (stop) {
      // the stop sequence's earlier tokens were already returned; take them back
      a.result.tokens.splice(a.result.tokens.length - (stop.length - 1));
      a.result.logprobs.splice(Math.max(0, a.result.logprobs.length - (stop.length - 1)));
      return "stop";
    }
    const info: TokenInfo =
      r.logprobs !== undefined
        ? { id, ...tokenLogprobs(row, id, r.logprobs) }
        : { id, logprob: Number.NaN, top: [] };
    a.result.tokens.push(id);
    if (r.logprobs !== undefined) a.result.logprobs.push(info);
    if (r.onToken?.(info, a.result.tokens.length - 1) === true) return "stop";
    if (a.result.tokens.length >= r.maxTokens) return "length";
    if (a.seq.length >= this.engine.maxT) return "length"; // the context is full
    a.pending = [id];
    return null;
  }

  private finish(a: Active, why: FinishReason): void {
    this.active.delete(a.slot);
    this.engine.reset(a.slot);
    a.result.finish = why;
    a.resolve(a.result);
  }

  private fail(a: Active, err: unknown): void {
    this.active.delete(a.slot);
    this.engine.reset(a.slot);
    a.reject(err);
  }
}

function endsWith(seq: readonly number[], tail: readonly number[]): boolean {
  if (tail.length > seq.length) return false;
  for (let i = 0; i < tail.length; i++) if (seq[seq.length - tail.length + i] !== tail[i]) return false;
  return true;
}

function checkRequest(r: GenerateRequest, engine: Engine): void {
  if (r.prompt.length < 1) throw new RangeError("prompt: at least one token is needed");
  if (r.prompt.length > engine.maxT)
    throw new RangeError(`prompt: ${r.prompt.length} tokens exceed the ${engine.maxT}-token context`);
  for (const [i, t] of r.prompt.entries())
    if (!(Number.isInteger(t) && t >= 0 && t < engine.V))
      throw new RangeError(`prompt: token ${i} is ${t}, outside the vocabulary [0, ${engine.V})`);
  if (!(Number.isInteger(r.maxTokens) && r.maxTokens >= 0))
    throw new RangeError(`maxTokens must be an integer >= 0, got ${r.maxTokens}`);
  if (r.logprobs !== undefined && !(Number.isInteger(r.logprobs) && r.logprobs >= 0))
    throw new RangeError(`logprobs must be an integer >= 0, got ${r.logprobs}`);
  if (r.sampling) checkSampling(r.sampling);
}
