// The inference engine every sampling and scoring path shares (`neox generate`, `neox eval`,
// `neox serve`): a model, one key/value cache per layer with `slots` independent sequences, and a
// forward pass over a flat batch of segments. A segment is a slot's next tokens: a whole prompt
// (prefill), the one token a decode step feeds, or the rest of a sequence whose prefix is cached.
// Segments of different slots and lengths run in one pass, sharing every GEMM; only the attention
// is per segment (each slot sees its own keys at its own positions). The head runs only on the
// rows whose logits are asked for, so a prefill of P tokens costs one head row, not P.
// N tokens in a pass, V padded vocabulary, R rows of logits returned.
import {
  argmaxRows,
  type CacheSegment,
  crossEntropyRows,
  type KvCache,
  type KvCacheDtype,
  scope,
  Tensor,
} from "@neox/tensor";
import type { GptNeoXModel } from "../gpt-neox/model";
import { DecodePlans } from "./decode-plan";

export interface Segment {
  /** The cache slot the tokens extend, in [0, engine.slots). */
  slot: number;
  /** The slot's next tokens (at least one), at positions length(slot) .. + tokens.length - 1. */
  tokens: ArrayLike<number>;
  /** The first token index whose logits are returned; default tokens.length - 1 (the last only). */
  logitsFrom?: number;
}

export interface EngineOutput {
  /** rows × V logits, row-major, a host copy; empty when the pass asked for `logits: false`. */
  logits: Float32Array;
  /** Each row's argmax (the greedy token; ties to the lowest id), computed where the logits live. */
  argmax: Int32Array;
  V: number;
  rows: number;
  /** First row of each segment's logits, in segment order (a segment has tokens.length - logitsFrom rows). */
  offsets: number[];
}

export interface ScoredSegment extends Segment {
  /** One target per logits row: the token the row's logits should predict. */
  targets: ArrayLike<number>;
}

export interface ScoreOutput {
  /** log p(target) per row, segment rows concatenated in segment order. */
  logprobs: Float64Array;
  /** 1 where the target is the row's argmax (the greedy choice); only with `greedy`. */
  greedy: Uint8Array;
  offsets: number[];
}

export interface ForwardOptions {
  /**
   * Copy the logits rows to the host (default true). A pass whose rows only need their greedy
   * token (`argmax`) skips the copy: V floats per row, 200 KB at V = 50304.
   */
  logits?: boolean;
}

export interface EngineOptions {
  /** Sequences cached at once. */
  slots: number;
  /** Positions per slot; default (and at most) the positions the model has tables for. */
  maxT?: number;
  /**
   * Replay decode steps (every segment one token, its logits wanted) from recorded plans
   * (decode-plan.ts); default true. false runs every pass eagerly (the same kernels).
   */
  planned?: boolean;
  /**
   * The KV cache's element type; default the model's (newCaches: bf16 when its GEMMs run on a bf16
   * working copy, else f32). "bf16" halves the bytes a decode step's attention reads; the new k and
   * v are rounded to bf16 as they are cached and every later step attends over the rounded values.
   */
  kvCache?: KvCacheDtype;
}

interface Layout {
  N: number;
  rows: number;
  offsets: number[];
  tokens: Int32Array;
  positions: Int32Array;
  rowIds: Int32Array;
  cacheSegments: CacheSegment[];
}

export class EngineInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineInputError";
  }
}

/**
 * What sampling and scoring need of an engine: slots with their own cached lengths, and passes over
 * segments of them. InferenceEngine runs the model natively; other runtimes (an ONNX Runtime
 * session) implement the same surface, so the scheduler and the verbs work with either.
 */
export interface Engine {
  readonly slots: number;
  readonly maxT: number;
  /** The padded vocabulary: the logits' row width. */
  readonly V: number;
  length(slot: number): number;
  reset(slot: number): void;
  truncate(slot: number, length: number): void;
  forward(segments: readonly Segment[], opts?: ForwardOptions): EngineOutput;
  score(segments: readonly ScoredSegment[], opts?: { greedy?: boolean }): ScoreOutput;
  dispose(): void;
}

export class InferenceEngine implements Engine {
  readonly slots: number;
  readonly maxT: number;
  /** The padded vocabulary: the logits' row width. */
  readonly V: number;
  private readonly caches: KvCache[];
  private readonly plans: DecodePlans | null;

  constructor(
    readonly model: GptNeoXModel,
    opts: EngineOptions,
  ) {
    const s = model.spec;
    const limit = s.positions === "learned" ? s.maxPositions : Math.max(s.maxPositions, s.seqLength);
    this.maxT = opts.maxT ?? limit;
    if (!(Number.isInteger(opts.slots) && opts.slots >= 1))
      throw new EngineInputError(`inference engine: slots must be an integer >= 1, got ${opts.slots}`);
    if (!(Number.isInteger(this.maxT) && this.maxT >= 1 && this.maxT <= limit))
      throw new EngineInputError(
        `inference engine: maxT ${this.maxT} must be in [1, ${limit}] (the model's positions)`,
      );
    this.slots = opts.slots;
    this.V = s.V;
    if (opts.kvCache !== undefined && opts.kvCache !== "f32" && opts.kvCache !== "bf16")
      throw new EngineInputError(
        `inference engine: kvCache must be "f32" or "bf16", got ${JSON.stringify(opts.kvCache)}`,
      );
    this.caches = model.newCaches(this.slots, this.maxT, opts.kvCache);
    this.plans = opts.planned === false ? null : new DecodePlans(model, this.caches);
  }

  /** Tokens cached in a slot. */
  length(slot: number): number {
    this.checkSlot(slot);
    return this.caches[0]!.lengths[slot]!;
  }

  /** Forgets a slot's tokens (it is free for a new sequence). */
  reset(slot: number): void {
    this.truncate(slot, 0);
  }

  /** Keeps the first `length` cached positions of a slot (a shared prefix), forgets the rest. */
  truncate(slot: number, length: number): void {
    this.checkSlot(slot);
    if (!(Number.isInteger(length) && length >= 0 && length <= this.length(slot)))
      throw new EngineInputError(
        `inference engine: cannot truncate slot ${slot} of ${this.length(slot)} to ${length}`,
      );
    for (const c of this.caches) c.lengths[slot] = length;
  }

  /** One forward pass over every segment's new tokens; their k/v join the slots' caches. */
  forward(segments: readonly Segment[], opts: ForwardOptions = {}): EngineOutput {
    if (this.plans && segments.every((g) => g.tokens.length === 1 && (g.logitsFrom ?? 0) === 0)) {
      // a decode step: replayed (decode-plan.ts)
      const { tokens, positions, rows, offsets } = this.layout(segments);
      const slots = Int32Array.from(segments, (g) => g.slot);
      const plans = this.plans;
      const out = this.guarded(() => plans.run(tokens, positions, slots, opts.logits !== false));
      return { ...out, V: this.V, rows, offsets };
    }
    return this.run(segments, (logits, plan) => {
      const host = opts.logits === false ? new Float32Array(0) : logits.toFloat32Array();
      return { logits: host, argmax: argmaxRows(logits), V: this.V, rows: plan.rows, offsets: plan.offsets };
    });
  }

  /**
   * forward, then log p(target) for each logits row, computed natively (no V-wide row comes to
   * the host unless `greedy` asks whether each target is its row's argmax).
   */
  score(segments: readonly ScoredSegment[], opts: { greedy?: boolean } = {}): ScoreOutput {
    return this.run(segments, (logits, plan) => {
      const targets = new Int32Array(plan.rows);
      segments.forEach((g, i) => {
        const n = g.tokens.length - (g.logitsFrom ?? g.tokens.length - 1);
        if (g.targets.length !== n)
          throw new EngineInputError(
            `inference engine: segment ${i} has ${n} logits rows but ${g.targets.length} targets`,
          );
        for (let j = 0; j < n; j++)
          targets[plan.offsets[i]! + j] = this.checkToken(g.targets[j]!, `segment ${i} target ${j}`);
      });
      const nll = crossEntropyRows(
        logits,
        Tensor.fromArray(targets, [plan.rows], { dtype: "i32" }),
      ).toFloat32Array();
      const logprobs = Float64Array.from(nll, (x) => -x);
      const greedy = new Uint8Array(plan.rows);
      if (opts.greedy) {
        const host = logits.toFloat32Array();
        for (let r = 0; r < plan.rows; r++) {
          const row = host.subarray(r * this.V, (r + 1) * this.V);
          const t = targets[r]!;
          let best = true;
          for (let v = 0; v < this.V && best; v++) if (row[v]! > row[t]!) best = false;
          greedy[r] = best ? 1 : 0;
        }
      }
      return { logprobs, greedy, offsets: plan.offsets };
    });
  }

  dispose(): void {
    this.plans?.dispose();
    for (const c of this.caches) c.dispose();
  }

  // Checks a pass and lays out its flat batch: token ids, positions, the rows whose logits are
  // returned (segment order) and each segment's place.
  private layout(segments: readonly Segment[]): Layout {
    if (segments.length === 0) throw new EngineInputError("inference engine: no segments");
    const seen = new Set<number>();
    let N = 0;
    let rows = 0;
    const offsets: number[] = [];
    segments.forEach((g, i) => {
      this.checkSlot(g.slot);
      if (seen.has(g.slot))
        throw new EngineInputError(`inference engine: slot ${g.slot} appears twice in one pass`);
      seen.add(g.slot);
      const T = g.tokens.length;
      if (T < 1) throw new EngineInputError(`inference engine: segment ${i} (slot ${g.slot}) has no tokens`);
      const at = this.length(g.slot);
      if (at + T > this.maxT)
        throw new EngineInputError(
          `inference engine: slot ${g.slot} holds ${at} tokens; ${T} more exceed the ${this.maxT}-token context`,
        );
      const from = g.logitsFrom ?? T - 1;
      if (!(Number.isInteger(from) && from >= 0 && from <= T))
        throw new EngineInputError(`inference engine: segment ${i} logitsFrom ${from} is not in [0, ${T}]`);
      offsets.push(rows);
      rows += T - from;
      N += T;
    });
    if (rows === 0) throw new EngineInputError("inference engine: no segment asks for logits");
    const tokens = new Int32Array(N);
    const positions = new Int32Array(N);
    const rowIds = new Int32Array(rows);
    const cacheSegments: CacheSegment[] = [];
    let row = 0;
    for (const [i, g] of segments.entries()) {
      const at = this.length(g.slot);
      const T = g.tokens.length;
      const from = g.logitsFrom ?? T - 1;
      for (let j = 0; j < T; j++) {
        tokens[row + j] = this.checkToken(g.tokens[j]!, `segment ${i} token ${j}`);
        positions[row + j] = at + j;
      }
      for (let j = from; j < T; j++) rowIds[offsets[i]! + j - from] = row + j;
      cacheSegments.push({ slot: g.slot, row, T });
      row += T;
    }
    return { N, rows, offsets, tokens, positions, rowIds, cacheSegments };
  }

  // Runs `pass` and restores every slot's length if it throws: a failed pass caches nothing.
  private guarded<R>(pass: () => R): R {
    const before = this.caches.map((c) => Int32Array.from(c.lengths));
    try {
      return pass();
    } catch (err) {
      for (const [i, c] of this.caches.entries()) c.lengths.set(before[i]!);
      throw err;
    }
  }

  private run<R>(
    segments: readonly Segment[],
    read: (logits: Tensor, plan: { rows: number; offsets: number[] }) => R,
  ): R {
    const { N, rows, offsets, tokens, positions, rowIds, cacheSegments } = this.layout(segments);
    return this.guarded(() =>
      scope(() => {
        const tok = Tensor.fromArray(tokens, [1, N], { dtype: "i32" });
        const pos = Tensor.fromArray(positions, [1, N], { dtype: "i32" });
        const ids = rows === N ? null : Tensor.fromArray(rowIds, [rows], { dtype: "i32" });
        const logits = this.model.decodeSegments(tok, pos, cacheSegments, this.caches, ids);
        return read(logits, { rows, offsets });
      }),
    );
  }

  private checkSlot(slot: number): void {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.slots))
      throw new EngineInputError(`inference engine: slot ${slot} is not in [0, ${this.slots})`);
  }

  private checkToken(t: number, where: string): number {
    if (!(Number.isInteger(t) && t >= 0 && t < this.V))
      throw new EngineInputError(`inference engine: ${where} is ${t}, outside the vocabulary [0, ${this.V})`);
    return t;
  }
}
