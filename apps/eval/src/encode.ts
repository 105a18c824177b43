// lm-evaluation-harness 0.4's request encoding, over any @neox/tokenize tokenizer:
// - the (context, continuation) pair encoding of TemplateLM._encode_pair: trailing whitespace of the
//   context moves to the front of the continuation (BPE vocabularies attach a space to the word after
//   it, so " Paris" must be scored as one unit), and the continuation's tokens are those of
//   tok(context + continuation) after the first len(tok(context)) (the whole string is encoded once,
//   so merges across the boundary come out as the model saw them in training);
// - the left truncation of HFLM._loglikelihood_tokens: the model reads the last max_length + 1
//   tokens of context + continuation, minus the final one (it is only ever a target);
// - the rolling windows of utils.get_rolling_token_windows + make_disjoint_window that score a whole
//   document with disjoint prediction spans (every token predicted exactly once, each with as much
//   preceding text as the window holds).

/** What the encoding needs of a tokenizer. */
export interface Encoder {
  encode(text: string): number[];
  /** End-of-text id: the context of an empty-context request and the first rolling window. */
  readonly eod: number;
}

export interface TokenPair {
  context: number[];
  continuation: number[];
}

/** The harness's _encode_pair; an empty context is [eot] (HFLM.loglikelihood's special case). */
export function encodePair(tok: Encoder, context: string, continuation: string): TokenPair {
  if (context === "") return { context: [tok.eod], continuation: tok.encode(continuation) };
  // Python's len(context) - len(context.rstrip()): all trailing whitespace, not only spaces
  const n = context.length - context.trimEnd().length;
  let ctx = context;
  let cont = continuation;
  if (n > 0) {
    cont = context.slice(context.length - n) + continuation;
    ctx = context.slice(0, context.length - n);
  }
  const whole = tok.encode(ctx + cont);
  const contextEnc = tok.encode(ctx);
  return { context: contextEnc, continuation: whole.slice(contextEnc.length) };
}

/** One scoring row set: the tokens the model reads and the targets of its last `targets.length` rows. */
export interface ScoreInput {
  /** Tokens fed to the model: (context + continuation)[-(maxLength + 1):][:-1]. */
  tokens: number[];
  /** The continuation: what the last targets.length positions of `tokens` predict. */
  targets: number[];
}

export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncodeError";
  }
}

/**
 * The harness's left truncation: keep the last maxLength + 1 tokens of context + continuation and
 * drop the last (the model never reads it); the rows of the continuation are scored.
 * A continuation longer than the window (a char-level model on piqa's long answers) is where the
 * harness goes wrong (its logits slice starts at a negative index and scores the wrong rows); here
 * it is scored in consecutive windows instead: spans of up to maxLength continuation tokens, from
 * the first, each read with as much preceding text as the window holds (as the rolling windows
 * do), and the caller sums them. A continuation that fits is the harness's single input exactly.
 */
export function scoreInputs(pair: TokenPair, maxLength: number): ScoreInput[] {
  const cont = pair.continuation;
  if (cont.length === 0)
    throw new EncodeError("loglikelihood request: the continuation encodes to no tokens (nothing to score)");
  if (pair.context.length === 0)
    throw new EncodeError(
      "loglikelihood request: the context encodes to no tokens (nothing predicts the first)",
    );
  const all = [...pair.context, ...cont];
  const out: ScoreInput[] = [];
  for (let s = pair.context.length; s < all.length; s += maxLength) {
    const e = Math.min(s + maxLength, all.length);
    // rows s-1 .. e-2 predict all[s .. e-1]; the window ends at e-2 and reads up to maxLength tokens
    out.push({ tokens: all.slice(Math.max(0, e - 1 - maxLength), e - 1), targets: all.slice(s, e) });
  }
  return out;
}

/**
 * utils.get_rolling_token_windows(tokens, prefix, maxLength, context_len=1) with make_disjoint_window
 * applied, as HFLM.loglikelihood_rolling calls it: the first window predicts the first
 * min(maxLength, n) tokens from [prefix, ...]; each later one predicts the next up to maxLength
 * tokens, reading as many preceding tokens as fit (maxLength - predicted + 1 of context).
 */
export function rollingWindows(tokens: readonly number[], prefix: number, maxLength: number): TokenPair[] {
  if (!(Number.isInteger(maxLength) && maxLength >= 1))
    throw new EncodeError(`rolling windows: max length must be an integer >= 1, got ${maxLength}`);
  const out: TokenPair[] = [];
  const n = tokens.length;
  if (n === 0) return out;
  const predLen = maxLength; // max_seq_len - context_len + 1 with context_len 1
  const first = Math.min(maxLength, n);
  // window ([prefix] + t[:first-1], t[:first]) made disjoint: context keeps len(a) - (len(b) - 1) = 1 token
  out.push({ context: [prefix], continuation: tokens.slice(0, first) });
  let predicted = first;
  while (predicted < n) {
    const w = Math.min(n - predicted, predLen);
    const end = predicted + w;
    // a = t[end - maxLength - 1 : end - 1] (maxLength tokens), b = t[end - w : end]; disjoint keeps a[:len(a) - (w - 1)]
    const a = tokens.slice(end - maxLength - 1, end - 1);
    out.push({ context: a.slice(0, a.length - (w - 1)), continuation: tokens.slice(end - w, end) });
    predicted += w;
  }
  return out;
}
