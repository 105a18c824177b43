// Where prompts come from and how long each may grow, as GPT-NeoX's text_generation_utils decides:
// an input file split on prompt_end, each prompt stripped and empty ones dropped; unconditional
// samples start from the empty prompt, whose context is the end-of-document token alone.
import { readFileSync } from "node:fs";
import type { Tokenizer } from "@neox/tokenize";
import type { GenerateSettings } from "./settings";

export interface Prompt {
  /** The text as given (GPT-NeoX's `context` field). */
  context: string;
  tokens: number[];
  /** New tokens this prompt may have. */
  maxTokens: number;
}

/** An input the command cannot run: names the file (or key) and the prompt. */
export class PromptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PromptError";
  }
}

/** GPT-NeoX's generate_samples_input_from_file: split on prompt_end, strip, drop empties. */
export function readPromptFile(file: string, promptEnd: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new PromptError(`sample_input_file ${file}: cannot read it (${(err as Error).message})`);
  }
  if (promptEnd === "") throw new PromptError("prompt_end: an empty string cannot split prompts");
  // Python's str.strip() with no argument strips whitespace, as String.prototype.trim does
  return text
    .split(promptEnd)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/**
 * A prompt's tokens and budget. The empty prompt (and one that tokenizes to nothing) is GPT-NeoX's
 * unconditional context, [eod]. `where` names the prompt in errors ("prompts.txt prompt 3").
 */
export function preparePrompt(
  context: string,
  tokenizer: Tokenizer,
  s: GenerateSettings,
  where: string,
): Prompt {
  const encoded = context === "" ? [] : tokenizer.encode(context);
  const tokens = encoded.length > 0 ? encoded : [tokenizer.eod];
  if (tokens.length > s.seqLength)
    throw new PromptError(
      `${where} is ${tokens.length} tokens, longer than the ${s.seqLength}-token context (seq_length): "${preview(context)}"`,
    );
  return { context, tokens, maxTokens: maxNewTokens(s, tokens.length) };
}

/**
 * GPT-NeoX's stream_tokens: `maximum_tokens or (seq_length - context - 1)` new tokens, the last at
 * index seq_length - 1 at most (so the context and its completion never pass seq_length).
 */
export function maxNewTokens(s: GenerateSettings, contextLength: number): number {
  const wanted = s.maximumTokens ?? s.seqLength - contextLength - 1;
  return Math.max(0, Math.min(wanted, s.seqLength - contextLength));
}

/** The seed of prompt `index`: a hash of (seed, index), so batching never changes a sample. */
export function promptSeed(seed: number, index: number): number {
  let z = ((seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function preview(text: string): string {
  const line = text.replace(/\s+/g, " ");
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
