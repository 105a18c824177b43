// GPT-2's pre-tokenizer: the regex that cuts text into the words BPE runs on (OpenAI encoder.py, used
// unchanged by Hugging Face's ByteLevel pre-tokenizer). Hugging Face evaluates it with Oniguruma, whose
// `\s` is Unicode White_Space (it includes U+0085 and excludes U+FEFF, unlike JavaScript's `\s`), so
// the whitespace class is spelled out to give the same words.

const WS = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` with Oniguruma's `\s`. */
export const GPT2_PATTERN = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`,
  "gu",
);

/** Calls `onWord` for each pre-token of `text`, in order; the pieces concatenate back to `text`. */
export function forEachWord(text: string, onWord: (word: string) => void): void {
  const re = new RegExp(GPT2_PATTERN);
  let m: RegExpExecArray | null = re.exec(text);
  while (m !== null) {
    onWord(m[0]);
    m = re.exec(text);
  }
}
