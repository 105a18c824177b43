// Runs prompts through the scheduler (all submitted at once: prompts of different lengths share
// forward passes, a finished one frees its slot for the next) and turns each result into GPT-NeoX's
// output record. Each prompt samples with its own seed (promptSeed), so the records do not depend
// on how many prompts ran together.
import type { GenerateResult, Scheduler, TokenInfo } from "@neox/models";
import type { Tokenizer } from "@neox/tokenize";
import { type Prompt, promptSeed } from "./prompts";
import type { GenerateSettings } from "./settings";

/** One JSONL line: GPT-NeoX's fields, then the generated token ids. */
export interface SampleRecord {
  context: string;
  text: string | null;
  length: number;
  /** The end-of-document token ended the sample (not the length limit). */
  finished: boolean;
  message: string | null;
  duration_seconds: number;
  token_ids: number[];
}

// GPT-NeoX's messages, word for word
const DID_NOT_START = "WARNING: text generation did not start; try different batching or adjust parameters";
const NO_SUCH_TOKEN = "WARNING: generated token which doesn't exist.";

export interface RunOptions {
  /** Called with each token of prompt `i` as it is made (streaming). */
  onToken?: (i: number, token: TokenInfo, index: number) => void;
  signal?: AbortSignal;
  /** The index of the first prompt (its seed's index); default 0. */
  firstIndex?: number;
}

export async function generateSamples(
  scheduler: Scheduler,
  tokenizer: Tokenizer,
  prompts: readonly Prompt[],
  s: GenerateSettings,
  opts: RunOptions = {},
): Promise<SampleRecord[]> {
  return Promise.all(
    prompts.map(async (p, i) => {
      const start = performance.now();
      const result = await scheduler.submit({
        prompt: p.tokens,
        maxTokens: p.maxTokens,
        sampling: s.sampling,
        seed: promptSeed(s.seed, (opts.firstIndex ?? 0) + i),
        eod: tokenizer.eod,
        recompute: s.recompute,
        ...(opts.onToken ? { onToken: (t: TokenInfo, j: number) => void opts.onToken!(i, t, j) } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      return toRecord(p, result, tokenizer, (performance.now() - start) / 1000);
    }),
  );
}

export function toRecord(p: Prompt, r: GenerateResult, tokenizer: Tokenizer, seconds: number): SampleRecord {
  let text: string | null = null;
  let message: string | null = null;
  if (r.tokens.length === 0) message = DID_NOT_START;
  else {
    try {
      text = tokenizer.decode(r.tokens);
    } catch {
      message = NO_SUCH_TOKEN;
    }
  }
  return {
    context: p.context,
    text,
    length: r.tokens.length,
    finished: r.finish === "eod" || r.finish === "stop",
    message,
    duration_seconds: seconds,
    token_ids: r.tokens,
  };
}

/**
 * Text to show as tokens arrive: the decoding of everything so far, less what was shown, holding
 * back a trailing U+FFFD (a character whose bytes are split across tokens).
 */
export class TextStream {
  private readonly tokens: number[] = [];
  private shown = "";

  constructor(private readonly tokenizer: Tokenizer) {}

  push(id: number): string {
    this.tokens.push(id);
    return this.take(this.decode().replace(/\uFFFD+$/, ""));
  }

  /** What is left once the sample is complete. */
  end(): string {
    return this.take(this.decode());
  }

  private take(text: string): string {
    if (!text.startsWith(this.shown)) return ""; // a decoder that rewrites earlier text: show nothing
    const fresh = text.slice(this.shown.length);
    this.shown = text;
    return fresh;
  }

  private decode(): string {
    try {
      return this.tokenizer.decode(this.tokens);
    } catch {
      return this.shown;
    }
  }
}
