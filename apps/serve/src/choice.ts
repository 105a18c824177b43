// One choice of a completion: a prompt run through the scheduler, its text cut at the first stop
// string (OpenAI cuts before the stop string and leaves it out), and OpenAI's logprobs object.
// Streaming holds back the text that could still turn into a stop string (the longest stop string
// less one character) and an incomplete UTF-8 tail, so the streamed pieces concatenate to exactly
// the text a non-streamed request returns; a token's logprobs entry is sent with the text it starts.
// An echoed prompt streams first: as text at once, or, when logprobs are asked for, with its
// logprobs entries as soon as the scheduler has scored it (onPrompt), before the first token.
// Offsets: `text_offset` counts characters of the tokens' own strings (each token decoded alone),
// from the start of the prompt, whether or not the prompt is echoed, as OpenAI does.
import type { GenerateResult, Scheduler, TokenInfo } from "@neox/models";
import type { Tokenizer } from "@neox/tokenize";
import type { CompletionParams, PromptInput } from "./validate";

export interface LogprobsEntry {
  token: string;
  logprob: number | null;
  top: Record<string, number> | null;
  offset: number;
  id: number;
}

export interface ChoiceDelta {
  text: string;
  /** Token ids this text adds (the prompt's in the echo chunk). */
  ids: number[];
  /** The tokens this text starts (their logprobs are meaningful only when logprobs were asked). */
  entries: LogprobsEntry[];
}

export interface ChoiceResult {
  text: string;
  tokenIds: number[];
  entries: LogprobsEntry[];
  finishReason: "length" | "stop";
  promptTokens: number;
  completionTokens: number;
  aborted: boolean;
}

/** Per-token strings, cached: a token decoded alone. */
export class TokenStrings {
  private readonly cache = new Map<number, string>();
  constructor(private readonly tokenizer: Tokenizer) {}
  of(id: number): string {
    let s = this.cache.get(id);
    if (s === undefined) {
      s = this.tokenizer.decode([id]);
      this.cache.set(id, s);
    }
    return s;
  }
}

export interface ChoiceContext {
  scheduler: Scheduler;
  tokenizer: Tokenizer;
  strings: TokenStrings;
}

/**
 * Runs one prompt. `onDelta` (streaming) receives text and logprobs entries as they become final;
 * it must not block (the scheduler calls it between forward passes).
 */
export async function runChoice(
  ctx: ChoiceContext,
  p: CompletionParams,
  prompt: PromptInput,
  seed: number,
  signal: AbortSignal,
  onDelta?: (d: ChoiceDelta) => void,
): Promise<ChoiceResult> {
  const wantLogprobs = p.logprobs !== null;
  const promptStrings = prompt.ids.map((id) => ctx.strings.of(id));
  const promptText = prompt.text ?? ctx.tokenizer.decode(prompt.ids);
  const promptChars = promptStrings.reduce((n, s) => n + s.length, 0);
  const track = new CompletionText(p.stop, ctx, promptChars, onDelta !== undefined || p.stop.length > 0);
  let sentEntries = 0;
  let sentChars = 0;
  const flush = (final: boolean) => {
    if (!onDelta) return;
    const upTo = final ? track.finalText().length : track.safeLength();
    const entries: LogprobsEntry[] = [];
    while (sentEntries < track.entries.length && track.entries[sentEntries]!.offset - promptChars < upTo)
      entries.push(track.entries[sentEntries++]!);
    const text = track.text.slice(sentChars, upTo);
    sentChars = upTo;
    if (text !== "" || entries.length > 0) onDelta({ text, ids: entries.map((e) => e.id), entries });
  };

  let echoed: LogprobsEntry[] | null = null;
  if (onDelta && p.echo && !wantLogprobs) onDelta({ text: promptText, ids: [...prompt.ids], entries: [] });
  const result: GenerateResult = await ctx.scheduler.submit({
    prompt: prompt.ids,
    maxTokens: p.maxTokens,
    sampling: p.sampling,
    seed,
    eod: p.ignoreEos ? null : ctx.tokenizer.eod,
    ...(wantLogprobs ? { logprobs: p.logprobs!, promptLogprobs: p.echo } : {}),
    signal,
    onPrompt: (scored) => {
      echoed = promptEntries(prompt, promptStrings, ctx.strings, scored);
      onDelta?.({ text: promptText, ids: [...prompt.ids], entries: echoed });
    },
    onToken: (info) => {
      const stopped = track.push(info);
      flush(false);
      return stopped;
    },
  });
  flush(true);
  echoed ??=
    wantLogprobs && p.echo ? promptEntries(prompt, promptStrings, ctx.strings, result.promptLogprobs) : [];

  const kept = track.keptTokens();
  const completion = result.tokens.slice(0, kept);
  const entries = wantLogprobs ? [...echoed, ...track.entries.slice(0, kept)] : [];
  return {
    text: (p.echo ? promptText : "") + track.finalText(),
    tokenIds: p.echo ? [...prompt.ids, ...completion] : completion,
    entries,
    finishReason: result.finish === "length" && track.cut === null ? "length" : "stop",
    promptTokens: prompt.ids.length,
    completionTokens: completion.length,
    aborted: result.finish === "aborted",
  };
}

function promptEntries(
  prompt: PromptInput,
  promptStrings: string[],
  strings: TokenStrings,
  scored: readonly (TokenInfo | null)[] | null,
): LogprobsEntry[] {
  let offset = 0;
  return prompt.ids.map((id, i) => {
    const info = scored?.[i] ?? null;
    const e: LogprobsEntry = {
      token: promptStrings[i]!,
      logprob: info ? info.logprob : null,
      top: info ? topOf(info, strings) : null,
      offset,
      id,
    };
    offset += promptStrings[i]!.length;
    return e;
  });
}

/** The generated text so far, its stop-string cut and one logprobs entry per generated token. */
class CompletionText {
  ids: number[] = [];
  text = "";
  cut: number | null = null;
  readonly entries: LogprobsEntry[] = [];
  private chars = 0;
  private readonly holdBack: number;

  constructor(
    private readonly stops: readonly string[],
    private readonly ctx: ChoiceContext,
    private readonly promptChars: number,
    /** Decode as tokens come (streaming, stop strings); otherwise once, at the end. */
    private readonly live: boolean,
  ) {
    this.holdBack = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** Adds a generated token; true when a stop string is now complete. */
  push(info: TokenInfo): boolean {
    const s = this.ctx.strings.of(info.id);
    this.entries.push({
      token: s,
      logprob: info.logprob,
      top: topOf(info, this.ctx.strings),
      offset: this.promptChars + this.chars,
      id: info.id,
    });
    this.chars += s.length;
    this.ids.push(info.id);
    if (!this.live) return false;
    const before = this.text.length;
    this.text = this.ctx.tokenizer.decode(this.ids);
    if (this.stops.length === 0) return false;
    // a stop string now complete ends in the new text; a few characters more for a multi-byte
    // character whose last bytes just arrived (its earlier decode was a replacement character)
    const from = Math.max(0, before - this.holdBack - 4);
    let at = -1;
    for (const stop of this.stops) {
      const i = this.text.indexOf(stop, from);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at < 0) return false;
    this.cut = at;
    return true;
  }

  /** Characters that can no longer change: before a possible stop string or a partial character. */
  safeLength(): number {
    if (this.cut !== null) return this.cut;
    let n = this.text.length - this.holdBack;
    while (n > 0 && this.text.charCodeAt(n - 1) === 0xfffd) n--;
    return Math.max(0, n);
  }

  finalText(): string {
    if (!this.live) this.text = this.ctx.tokenizer.decode(this.ids);
    return this.cut === null ? this.text : this.text.slice(0, this.cut);
  }

  /** Generated tokens that start before the cut (all when there is none). */
  keptTokens(): number {
    if (this.cut === null) return this.entries.length;
    const end = this.promptChars + this.cut;
    let k = 0;
    while (k < this.entries.length && this.entries[k]!.offset < end) k++;
    return k;
  }
}

// OpenAI's top_logprobs: token string -> logprob. Distinct ids can decode to the same string (the
// char-level tokenizer maps every id below 32 to a space); the likelier one keeps the key.
function topOf(info: TokenInfo, strings: TokenStrings): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of info.top) {
    const key = strings.of(t.id);
    if (!(key in out)) out[key] = t.logprob;
  }
  return out;
}
