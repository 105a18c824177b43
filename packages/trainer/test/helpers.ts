// Test helpers: configs resolved in memory, an in-memory sample source, and a sink that keeps what
// the trainer logs.
import { parseConfigText, type ResolvedConfig, resolveParsed, withVocabSize } from "@neox/config";
import type { SampleSource } from "@neox/data-mmap";
import { type MetricSink, Monitor } from "@neox/monitor";

/** Sequence length and vocabulary of the tiny test models. */
export const SEQ = 8;
export const VOCAB = 50;

/** A 2-layer, width-16 GPT-NeoX model (vocabulary 50 padded to 56, 8-token context). */
export const TINY_MODEL = {
  num_layers: 2,
  hidden_size: 16,
  num_attention_heads: 4,
  seq_length: SEQ,
  max_position_embeddings: SEQ,
  make_vocab_size_divisible_by: 8,
} as const;

/** A config from GPT-NeoX keys (JSON is YAML), with the vocabulary attached; throws on problems. */
export function configOf(values: Record<string, unknown>, vocab: number, name = "test.yml"): ResolvedConfig {
  const r = resolveParsed([parseConfigText(JSON.stringify(values), name)], { vocabSize: vocab });
  const problems = r.problems.filter((p) => p.kind !== "incomplete");
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join("; "));
  return withVocabSize(r, vocab);
}

/** Samples of seq_length + 1 tokens laid end to end in one array. */
export class ArraySource implements SampleSource {
  readonly length: number;

  constructor(
    readonly data: Int32Array,
    readonly seqLength: number,
  ) {
    this.length = Math.floor(data.length / (seqLength + 1));
  }

  getItem(i: number, out = new Int32Array(this.seqLength + 1)): Int32Array {
    if (i < 0 || i >= this.length) throw new RangeError(`sample ${i} of ${this.length}`);
    out.set(this.data.subarray(i * (this.seqLength + 1), (i + 1) * (this.seqLength + 1)));
    return out;
  }
}

/** Keeps every logged (iteration, metrics) pair. */
export class MemorySink implements MetricSink {
  readonly rows: { iteration: number; metrics: Record<string, number> }[] = [];
  readonly events: string[] = [];
  log(iteration: number, metrics: Readonly<Record<string, number>>): void {
    this.rows.push({ iteration, metrics: { ...metrics } });
  }
  event(kind: string, text: string): void {
    this.events.push(`${kind}: ${text}`);
  }
  flush(): void {}
  close(): void {}
  series(key: string): number[] {
    return this.rows.filter((r) => key in r.metrics).map((r) => r.metrics[key]!);
  }
}

export function memoryMonitor(): { monitor: Monitor; sink: MemorySink } {
  const sink = new MemorySink();
  return { monitor: new Monitor([sink]), sink };
}
