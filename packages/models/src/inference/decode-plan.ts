// Decode passes replayed from recorded plans. A pass in which every segment feeds one token and
// wants that token's logits launches the same kernels with the same arguments for a given row
// count R; only data differ: the token ids, their positions and the slots they extend, all read by
// the kernels from device buffers. So the first such pass with R rows runs eagerly under
// Plan.record, and later ones write those ids into the plan's input buffers (and each layer cache's
// decode index, KvCache.writeDecodeIndex) and replay its native calls: no tensor objects, shape
// checks or scopes in between. At the Pythia-70M shape that JavaScript was 0.7-1 ms of a 4-8 ms
// step at batch 1.
// R rows, V padded vocabulary.
import { type CacheSegment, type KvCache, k, keep, Plan, scope, Tensor } from "@neox/tensor";
import type { GptNeoXModel } from "../gpt-neox/model";

/** One decode pass's results, host copies. */
export interface DecodeResult {
  /** R × V, or empty when not asked for. */
  logits: Float32Array;
  /** Each row's argmax. */
  argmax: Int32Array;
}

interface Recorded {
  plan: Plan;
  /** (1, R) i32 inputs, written before each replay. */
  tokens: Tensor;
  positions: Tensor;
  /** The arena twins of the recorded pass's outputs. */
  logits: Tensor;
  argmax: Tensor;
}

/**
 * Plans kept at once, the most recently used. Each holds an arena for its R rows (R·V floats of
 * logits and the activations), so a server with many slots does not keep one per row count it
 * ever saw; a row count whose plan was dropped records again (one eager pass).
 */
export const MAX_DECODE_PLANS = 8;

export class DecodePlans {
  private readonly plans = new Map<number, Recorded>(); // in order of use, oldest first

  constructor(
    private readonly model: GptNeoXModel,
    private readonly caches: readonly KvCache[],
  ) {}

  /**
   * One pass: tokens[i] at positions[i] (= that slot's cached length, checked by the caller)
   * extends slot slots[i]. Advances the slots' lengths in every cache.
   */
  run(tokens: Int32Array, positions: Int32Array, slots: Int32Array, wantLogits: boolean): DecodeResult {
    const R = tokens.length;
    const rows = Int32Array.from(slots, (_, i) => i);
    for (const c of this.caches) c.writeDecodeIndex(rows, slots, positions);
    const known = this.plans.get(R);
    if (!known) return this.record(tokens, positions, slots, wantLogits);
    this.plans.delete(R);
    this.plans.set(R, known);
    known.tokens.write(tokens);
    known.positions.write(positions);
    known.plan.run();
    for (const c of this.caches) for (const s of slots) c.lengths[s]! += 1;
    return {
      logits: wantLogits ? known.logits.toFloat32Array() : new Float32Array(0),
      argmax: known.argmax.toHost() as Int32Array,
    };
  }

  /** Plans held now (diagnostics and tests). */
  get size(): number {
    return this.plans.size;
  }

  dispose(): void {
    for (const r of this.plans.values()) release(r);
    this.plans.clear();
  }

  // The first pass with R rows, run for real while recorded (segmentSelfAttention advances the
  // lengths itself here).
  private record(
    tokens: Int32Array,
    positions: Int32Array,
    slots: Int32Array,
    wantLogits: boolean,
  ): DecodeResult {
    const R = tokens.length;
    const tok = keep(Tensor.fromArray(tokens, [1, R], { dtype: "i32" }));
    const pos = keep(Tensor.fromArray(positions, [1, R], { dtype: "i32" }));
    const segments: CacheSegment[] = Array.from(slots, (slot, row) => ({ slot, row, T: 1 }));
    try {
      const { plan, result } = Plan.record(() =>
        scope(() => {
          const logits = this.model.decodeSegments(tok, pos, segments, this.caches, null); // (R, V)
          const argmax = Tensor.empty([R], { dtype: "i32", device: logits.device });
          k.argmaxRows(logits.backend, { out: argmax, inp: logits, R, V: logits.size(-1) });
          return { logits, argmax };
        }),
      );
      const out: DecodeResult = {
        logits: wantLogits ? result.logits.toFloat32Array() : new Float32Array(0),
        argmax: result.argmax.toHost() as Int32Array,
      };
      const twins = { logits: keep(plan.tensor(result.logits)), argmax: keep(plan.tensor(result.argmax)) };
      result.logits.dispose();
      result.argmax.dispose();
      this.plans.set(R, { plan, tokens: tok, positions: pos, ...twins });
      if (this.plans.size > MAX_DECODE_PLANS) {
        const [oldest, dropped] = this.plans.entries().next().value as [number, Recorded];
        this.plans.delete(oldest);
        release(dropped);
      }
      return out;
    } catch (err) {
      tok.dispose();
      pos.dispose();
      throw err;
    }
  }
}

function release(r: Recorded): void {
  for (const t of [r.tokens, r.positions, r.logits, r.argmax]) t.dispose();
  r.plan.dispose();
}
