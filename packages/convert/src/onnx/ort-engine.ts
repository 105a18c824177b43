// The inference Engine (@neox/models) on an ONNX Runtime session of an exported decoder, so
// `neox generate` and `neox eval` can run the .onnx file through the same scheduler and scoring.
// A graph exported with the KV cache keeps each slot's `present.{i}.key|value` tensors
// ([1, NKV, length, HS]) and feeds them back as `past_key_values` with the next tokens; a graph
// without one is given the slot's whole sequence every pass (its tokens are kept per slot). Each
// segment is its own run of batch 1, so no padding ever enters a pass; `attention_mask` (all ones)
// and `position_ids` (the absolute positions) are fed when the graph declares them. A pass that
// fails caches nothing: every slot's new state is committed only after every segment has run.
import type { Engine, EngineOutput, ForwardOptions, ScoredSegment, ScoreOutput, Segment } from "@neox/models";
import { EngineInputError } from "@neox/models";
import { type OrtOutput, OrtSession, type OrtSessionOptions, OrtTensor } from "./ort-session";

export interface OrtEngineOptions extends OrtSessionOptions {
  /** Sequences cached at once. */
  slots: number;
  /** Positions per slot: at most the positions the exported model has tables for. */
  maxT: number;
  /** The padded vocabulary the caller's tokenizer and config expect; checked against the graph's. */
  vocab?: number;
}

type KvData = Float32Array | Uint16Array;

interface SlotState {
  tokens: number[];
  /** Per layer [key, value], each [1, NKV, tokens.length, HS]; empty without a KV-cache graph. */
  past: [KvData, KvData][];
}

export class OrtEngine implements Engine {
  readonly slots: number;
  readonly maxT: number;
  readonly V: number;
  /** Layers of the KV-cache graph (0 for a graph without one). */
  readonly layers: number;
  private readonly NKV: number;
  private readonly HS: number;
  private readonly kvType: "float32" | "float16";
  private readonly state: SlotState[];

  constructor(
    readonly session: OrtSession,
    opts: OrtEngineOptions,
  ) {
    const where = `onnxruntime engine (${session.path})`;
    if (!session.input("input_ids") || !session.output("logits"))
      throw new EngineInputError(`${where}: the graph needs an input_ids input and a logits output`);
    const V = session.output("logits")!.shape[2];
    if (!(typeof V === "number" && V > 0))
      throw new EngineInputError(`${where}: logits must be [batch, sequence, vocab] with a fixed vocab`);
    this.V = V;
    if (opts.vocab !== undefined && opts.vocab !== V)
      throw new EngineInputError(
        `${where}: the graph's logits have ${V} vocabulary columns but the config pads the vocabulary to ${opts.vocab}`,
      );
    if (!(Number.isInteger(opts.slots) && opts.slots >= 1))
      throw new EngineInputError(`${where}: slots must be an integer >= 1, got ${opts.slots}`);
    if (!(Number.isInteger(opts.maxT) && opts.maxT >= 1))
      throw new EngineInputError(`${where}: maxT must be an integer >= 1, got ${opts.maxT}`);
    this.slots = opts.slots;
    this.maxT = opts.maxT;
    let L = 0;
    while (session.input(`past_key_values.${L}.key`)) L++;
    this.layers = L;
    const k0 = session.input("past_key_values.0.key");
    this.NKV = k0?.shape[1] ?? 0;
    this.HS = k0?.shape[3] ?? 0;
    this.kvType = k0?.type === 10 ? "float16" : "float32";
    this.state = Array.from({ length: this.slots }, () => ({ tokens: [], past: this.emptyPast() }));
  }

  /** Opens `file` on the CPU execution provider. */
  static open(file: string, opts: OrtEngineOptions): OrtEngine {
    return new OrtEngine(new OrtSession(file, opts), opts);
  }

  length(slot: number): number {
    this.checkSlot(slot);
    return this.state[slot]!.tokens.length;
  }

  reset(slot: number): void {
    this.truncate(slot, 0);
  }

  truncate(slot: number, length: number): void {
    this.checkSlot(slot);
    const st = this.state[slot]!;
    if (!(Number.isInteger(length) && length >= 0 && length <= st.tokens.length))
      throw new EngineInputError(
        `onnxruntime engine: cannot truncate slot ${slot} of ${st.tokens.length} to ${length}`,
      );
    const P = st.tokens.length;
    st.tokens.length = length;
    st.past = st.past.map(([k, v]) => [this.keep(k, P, length), this.keep(v, P, length)]);
  }

  forward(segments: readonly Segment[], opts: ForwardOptions = {}): EngineOutput {
    const { rows, offsets } = this.check(segments);
    const logits = new Float32Array(rows * this.V);
    const updates: [number, SlotState][] = [];
    segments.forEach((g, i) => {
      const { rowLogits, next } = this.runSegment(g);
      logits.set(rowLogits, offsets[i]! * this.V);
      updates.push([g.slot, next]);
    });
    for (const [slot, next] of updates) this.state[slot] = next;
    const argmax = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let v = 1; v < this.V; v++) if (logits[r * this.V + v]! > logits[r * this.V + best]!) best = v;
      argmax[r] = best;
    }
    return { logits: opts.logits === false ? new Float32Array(0) : logits, argmax, V: this.V, rows, offsets };
  }

  score(segments: readonly ScoredSegment[], opts: { greedy?: boolean } = {}): ScoreOutput {
    const counts = segments.map((g, i) => {
      const n = g.tokens.length - (g.logitsFrom ?? g.tokens.length - 1);
      if (g.targets.length !== n)
        throw new EngineInputError(
          `onnxruntime engine: segment ${i} has ${n} logits rows but ${g.targets.length} targets`,
        );
      for (let j = 0; j < n; j++) this.checkToken(g.targets[j]!, `segment ${i} target ${j}`);
      return n;
    });
    const out = this.forward(segments);
    const logprobs = new Float64Array(out.rows);
    const greedy = new Uint8Array(out.rows);
    segments.forEach((g, i) => {
      for (let j = 0; j < counts[i]!; j++) {
        const r = out.offsets[i]! + j;
        const row = out.logits.subarray(r * this.V, (r + 1) * this.V);
        const t = g.targets[j]!;
        let max = Number.NEGATIVE_INFINITY;
        for (const x of row) if (x > max) max = x;
        let sum = 0;
        for (const x of row) sum += Math.exp(x - max);
        logprobs[r] = row[t]! - max - Math.log(sum);
        if (opts.greedy) greedy[r] = row.some((x) => x > row[t]!) ? 0 : 1;
      }
    });
    return { logprobs, greedy, offsets: out.offsets };
  }

  dispose(): void {
    this.session.dispose();
  }

  // One segment as one batch-1 run; returns its logits rows and the slot's state after it.
  private runSegment(g: Segment): { rowLogits: Float32Array; next: SlotState } {
    const st = this.state[g.slot]!;
    const P = st.tokens.length;
    const fresh = Array.from(g.tokens, Number);
    const all = [...st.tokens, ...fresh];
    const kv = this.layers > 0;
    const ids = kv ? fresh : all; // the tokens this run feeds
    const first = kv ? P : 0; // their first position
    const S = ids.length;
    const feeds: Record<string, OrtTensor> = {
      input_ids: new OrtTensor("int64", BigInt64Array.from(ids, BigInt), [1, S]),
    };
    if (this.session.input("attention_mask"))
      feeds.attention_mask = new OrtTensor("int64", new BigInt64Array(P + fresh.length).fill(1n), [
        1,
        P + fresh.length,
      ]);
    if (this.session.input("position_ids"))
      feeds.position_ids = new OrtTensor(
        "int64",
        BigInt64Array.from({ length: S }, (_, j) => BigInt(first + j)),
        [1, S],
      );
    for (let l = 0; l < this.layers; l++) {
      const dims = [1, this.NKV, P, this.HS];
      feeds[`past_key_values.${l}.key`] = new OrtTensor(this.kvType, st.past[l]![0], dims);
      feeds[`past_key_values.${l}.value`] = new OrtTensor(this.kvType, st.past[l]![1], dims);
    }
    const out = this.session.run(feeds);
    const logits = out.logits as OrtOutput;
    const from = g.logitsFrom ?? fresh.length - 1;
    // Rows of the new tokens from `from` on: the last fresh.length - from rows of this run.
    const rowLogits = (logits.data as Float32Array).slice((S - (fresh.length - from)) * this.V, S * this.V);
    const past: [KvData, KvData][] = [];
    for (let l = 0; l < this.layers; l++)
      past.push([out[`present.${l}.key`]!.data as KvData, out[`present.${l}.value`]!.data as KvData]);
    return { rowLogits, next: { tokens: all, past } };
  }

  private emptyPast(): [KvData, KvData][] {
    const make = () => (this.kvType === "float16" ? new Uint16Array(0) : new Float32Array(0));
    return Array.from({ length: this.layers }, () => [make(), make()]);
  }

  // The first `length` of P positions of a [1, NKV, P, HS] tensor.
  private keep(t: KvData, P: number, length: number): KvData {
    if (length === P) return t;
    const out =
      t instanceof Uint16Array
        ? new Uint16Array(this.NKV * length * this.HS)
        : new Float32Array(this.NKV * length * this.HS);
    for (let h = 0; h < this.NKV; h++)
      out.set(t.subarray(h * P * this.HS, (h * P + length) * this.HS), h * length * this.HS);
    return out;
  }

  private check(segments: readonly Segment[]): { rows: number; offsets: number[] } {
    if (segments.length === 0) throw new EngineInputError("onnxruntime engine: no segments");
    const seen = new Set<number>();
    let rows = 0;
    const offsets: number[] = [];
    segments.forEach((g, i) => {
      this.checkSlot(g.slot);
      if (seen.has(g.slot))
        throw new EngineInputError(`onnxruntime engine: slot ${g.slot} appears twice in one pass`);
      seen.add(g.slot);
      const T = g.tokens.length;
      if (T < 1)
        throw new EngineInputError(`onnxruntime engine: segment ${i} (slot ${g.slot}) has no tokens`);
      const at = this.length(g.slot);
      if (at + T > this.maxT)
        throw new EngineInputError(
          `onnxruntime engine: slot ${g.slot} holds ${at} tokens; ${T} more exceed the ${this.maxT}-token context`,
        );
      const from = g.logitsFrom ?? T - 1;
      if (!(Number.isInteger(from) && from >= 0 && from <= T))
        throw new EngineInputError(`onnxruntime engine: segment ${i} logitsFrom ${from} is not in [0, ${T}]`);
      for (let j = 0; j < T; j++) this.checkToken(g.tokens[j]!, `segment ${i} token ${j}`);
      offsets.push(rows);
      rows += T - from;
    });
    if (rows === 0) throw new EngineInputError("onnxruntime engine: no segment asks for logits");
    return { rows, offsets };
  }

  private checkSlot(slot: number): void {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.slots))
      throw new EngineInputError(`onnxruntime engine: slot ${slot} is not in [0, ${this.slots})`);
  }

  private checkToken(t: number, where: string): void {
    if (!(Number.isInteger(t) && t >= 0 && t < this.V))
      throw new EngineInputError(
        `onnxruntime engine: ${where} is ${t}, outside the vocabulary [0, ${this.V})`,
      );
  }
}
