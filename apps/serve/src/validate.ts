// The body of POST /v1/completions, checked field by field into what the scheduler runs. Every
// problem is a RequestError naming the field (OpenAI's `param`), answered with HTTP 400; nothing is
// clamped or dropped in silence. Fields OpenAI defines that this server cannot honour (n > 1,
// best_of > 1, penalties, logit_bias, suffix) are refused unless they ask for the default.
import type { SamplingParams } from "@neox/models";

/** An answer to a bad request: HTTP `status` with OpenAI's error body. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly type = "invalid_request_error",
  ) {
    super(message);
    this.name = "RequestError";
  }

  body(): { error: { message: string; type: string; param: string | null; code: null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: null } };
  }
}

/** What validation needs of the model and tokenizer. */
export interface ModelLimits {
  /** Token ids must be below this (the model's padded vocabulary). */
  V: number;
  /** Prompt plus new tokens must fit in this many positions. */
  maxT: number;
  encode: (text: string) => number[];
}

export interface PromptInput {
  ids: number[];
  /** The prompt as sent when it was text (echoed as is), else null. */
  text: string | null;
}

export interface CompletionParams {
  prompts: PromptInput[];
  maxTokens: number;
  sampling: SamplingParams;
  stop: string[];
  seed: number | undefined;
  echo: boolean;
  /** Alternatives per token (0..5), or null for no logprobs at all. */
  logprobs: number | null;
  stream: boolean;
  ignoreEos: boolean;
}

export const MAX_LOGPROBS = 5;
export const MAX_STOP = 4;

/** Parses and checks a request body (raw bytes as text). */
export function parseCompletionRequest(text: string, limits: ModelLimits): CompletionParams {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new RequestError(400, `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new RequestError(400, "the body must be a JSON object");
  const b = body as Record<string, unknown>;
  const get = (k: string) => (b[k] === null ? undefined : b[k]);

  if (get("model") !== undefined && typeof b.model !== "string")
    throw new RequestError(400, "model must be a string", "model");
  refuseUnlessDefault(b);

  const maxTokens = optInteger(get("max_tokens"), "max_tokens", 16, 0);
  const temperature = optNumber(get("temperature"), "temperature", 1);
  if (temperature < 0)
    throw new RequestError(400, `temperature must be >= 0, got ${temperature}`, "temperature");
  const topP = optNumber(get("top_p"), "top_p", 1);
  if (!(topP >= 0 && topP <= 1)) throw new RequestError(400, `top_p must be in [0, 1], got ${topP}`, "top_p");
  const topK = optInteger(get("top_k"), "top_k", 0, -1); // -1 means off, as vLLM spells it
  const logprobs = get("logprobs") === undefined ? null : optInteger(b.logprobs, "logprobs", 0, 0);
  if (logprobs !== null && logprobs > MAX_LOGPROBS)
    throw new RequestError(400, `logprobs must be at most ${MAX_LOGPROBS}, got ${logprobs}`, "logprobs");
  const seedValue = get("seed");
  const seed =
    seedValue === undefined ? undefined : optInteger(seedValue, "seed", 0, Number.MIN_SAFE_INTEGER);
  const echo = optBoolean(get("echo"), "echo");
  const stream = optBoolean(get("stream"), "stream");
  const ignoreEos = optBoolean(get("ignore_eos"), "ignore_eos");
  const stop = parseStop(get("stop"));
  const prompts = parsePrompts(b.prompt, limits);
  for (const [i, p] of prompts.entries()) {
    if (p.ids.length + maxTokens > limits.maxT)
      throw new RequestError(
        400,
        `prompt${prompts.length > 1 ? ` ${i}` : ""} has ${p.ids.length} tokens; with max_tokens ${maxTokens} that exceeds the ${limits.maxT}-token context`,
        p.ids.length > limits.maxT ? "prompt" : "max_tokens",
      );
  }
  // temperature 0 is greedy whatever top_p and top_k say; top_p 1 and top_k 0 filter nothing
  const sampling: SamplingParams =
    temperature === 0
      ? { temperature: 0, topK: 0, topP: 0 }
      : { temperature, topK: Math.max(0, topK), topP: topP === 1 ? 0 : topP };
  if (sampling.temperature > 0 && topP === 0)
    throw new RequestError(400, "top_p 0 keeps no tokens; use temperature 0 for greedy decoding", "top_p");
  return { prompts, maxTokens, sampling, stop, seed, echo, logprobs, stream, ignoreEos };
}

function parsePrompts(value: unknown, limits: ModelLimits): PromptInput[] {
  if (value === undefined || value === null) throw new RequestError(400, "prompt is required", "prompt");
  if (typeof value === "string") return [textPrompt(value, "prompt", limits)];
  if (!Array.isArray(value))
    throw new RequestError(
      400,
      "prompt must be a string, a list of token ids, or a list of either",
      "prompt",
    );
  if (value.length === 0) throw new RequestError(400, "prompt is empty", "prompt");
  if (value.every((x) => typeof x === "number")) return [idPrompt(value, "prompt", limits)];
  return value.map((x, i) => {
    const where = `prompt[${i}]`;
    if (typeof x === "string") return textPrompt(x, where, limits);
    if (Array.isArray(x)) return idPrompt(x, where, limits);
    throw new RequestError(400, `${where} must be a string or a list of token ids`, "prompt");
  });
}

function textPrompt(text: string, where: string, limits: ModelLimits): PromptInput {
  if (text === "") throw new RequestError(400, `${where} is empty`, "prompt");
  const ids = limits.encode(text);
  if (ids.length === 0) throw new RequestError(400, `${where} encodes to no tokens`, "prompt");
  return { ids, text };
}

function idPrompt(ids: unknown[], where: string, limits: ModelLimits): PromptInput {
  if (ids.length === 0) throw new RequestError(400, `${where} is empty`, "prompt");
  for (const [j, t] of ids.entries())
    if (!(typeof t === "number" && Number.isInteger(t) && t >= 0 && t < limits.V))
      throw new RequestError(
        400,
        `${where}[${j}] is ${JSON.stringify(t)}, not a token id in [0, ${limits.V})`,
        "prompt",
      );
  return { ids: ids as number[], text: null };
}

function parseStop(value: unknown): string[] {
  if (value === undefined) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string"))
    throw new RequestError(400, "stop must be a string or a list of strings", "stop");
  if (list.length > MAX_STOP)
    throw new RequestError(400, `stop takes at most ${MAX_STOP} strings, got ${list.length}`, "stop");
  if (list.some((s) => s === "")) throw new RequestError(400, "stop strings must not be empty", "stop");
  return list as string[];
}

// Fields with no effect here: accepted only at the value that means "off".
function refuseUnlessDefault(b: Record<string, unknown>): void {
  const off: [string, (v: unknown) => boolean, string][] = [
    ["n", (v) => v === 1, "n > 1 is not supported: send the prompt again, or list it several times"],
    ["best_of", (v) => v === 1, "best_of > 1 is not supported"],
    ["presence_penalty", (v) => v === 0, "presence_penalty is not supported (only 0)"],
    ["frequency_penalty", (v) => v === 0, "frequency_penalty is not supported (only 0)"],
    [
      "logit_bias",
      (v) => typeof v === "object" && Object.keys(v as object).length === 0,
      "logit_bias is not supported",
    ],
    ["suffix", (v) => v === "", "suffix is not supported"],
  ];
  for (const [key, ok, message] of off)
    if (b[key] !== undefined && b[key] !== null && !ok(b[key])) throw new RequestError(400, message, key);
}

function optInteger(v: unknown, field: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!(typeof v === "number" && Number.isSafeInteger(v)))
    throw new RequestError(400, `${field} must be an integer, got ${JSON.stringify(v)}`, field);
  if (v < min) throw new RequestError(400, `${field} must be >= ${min}, got ${v}`, field);
  return v;
}

function optNumber(v: unknown, field: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!(typeof v === "number" && Number.isFinite(v)))
    throw new RequestError(400, `${field} must be a number, got ${JSON.stringify(v)}`, field);
  return v;
}

function optBoolean(v: unknown, field: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== "boolean")
    throw new RequestError(400, `${field} must be true or false, got ${JSON.stringify(v)}`, field);
  return v;
}
