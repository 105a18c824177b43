// What the trainer calls: one `log` per iteration with GPT-NeoX's metric names, one-off `event`
// lines (checkpoint saved, evaluation results), and a Monitor that fans each call out to every sink.

/** A destination for metrics: the console, `metrics.jsonl`, a TensorBoard event file. */
export interface MetricSink {
  /** Record `metrics` (GPT-NeoX names such as `train/lm_loss`) for training iteration `iteration`. */
  log(iteration: number, metrics: Readonly<Record<string, number>>): void;
  /** A one-off message; sinks that only hold numbers leave this out. */
  event?(kind: string, text: string, iteration?: number): void;
  /** Make what was logged durable (or visible); called at checkpoints and by `close`. */
  flush(): void;
  /** Flush and release the sink; it is not used again. */
  close(): void;
}

/** Fans every call out to its sinks, in order. */
export class Monitor implements MetricSink {
  private readonly sinks: MetricSink[];

  constructor(sinks: readonly MetricSink[] = []) {
    this.sinks = [...sinks];
  }

  /** Adds a sink; it receives the calls made from now on. */
  add(sink: MetricSink): this {
    this.sinks.push(sink);
    return this;
  }

  log(iteration: number, metrics: Readonly<Record<string, number>>): void {
    for (const sink of this.sinks) sink.log(iteration, metrics);
  }

  event(kind: string, text: string, iteration?: number): void {
    for (const sink of this.sinks) sink.event?.(kind, text, iteration);
  }

  flush(): void {
    this.each((sink) => sink.flush());
  }

  /** Closes every sink even when one fails, then throws the first failure. */
  close(): void {
    this.each((sink) => sink.close());
  }

  private each(call: (sink: MetricSink) => void): void {
    let first: unknown;
    let failed = false;
    for (const sink of this.sinks) {
      try {
        call(sink);
      } catch (e) {
        if (!failed) first = e;
        failed = true;
      }
    }
    if (failed) throw first;
  }
}
