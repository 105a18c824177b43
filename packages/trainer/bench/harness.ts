// Shared by the training benches (and tools/gpu's): an in-memory source of seeded random tokens, a
// sink keeping the logged tokens/s and losses, a median, and the peak resident set.
import { readFileSync } from "node:fs";
import type { SampleSource } from "@neox/data-mmap";
import { METRIC, type MetricSink } from "@neox/monitor";

/** Samples of seq + 1 seeded random ids in [0, vocab), laid end to end (an in-memory SampleSource). */
export class RandomTokens implements SampleSource {
  readonly data: Int32Array;
  constructor(
    readonly length: number,
    readonly seqLength: number,
    vocab: number,
    seed: number,
  ) {
    this.data = new Int32Array(length * (seqLength + 1));
    let s = seed >>> 0;
    for (let i = 0; i < this.data.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0; // Numerical Recipes' LCG
      this.data[i] = Math.floor((s / 4294967296) * vocab);
    }
  }
  getItem(i: number, out = new Int32Array(this.seqLength + 1)): Int32Array {
    if (i < 0 || i >= this.length) throw new RangeError(`RandomTokens: sample ${i} of ${this.length}`);
    out.set(this.data.subarray(i * (this.seqLength + 1), (i + 1) * (this.seqLength + 1)));
    return out;
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Keeps every logged value of the metrics the benches read. */
export class RecordingSink implements MetricSink {
  readonly tokensPerSec: number[] = [];
  readonly losses: number[] = [];
  log(_iteration: number, metrics: Readonly<Record<string, number>>): void {
    const tps = metrics[METRIC.tokensPerSec];
    if (tps !== undefined) this.tokensPerSec.push(tps);
    const loss = metrics[METRIC.lmLoss];
    if (loss !== undefined) this.losses.push(loss);
  }
  flush(): void {}
  close(): void {}
}

/** The process's peak resident set (VmHWM in /proc/self/status), in bytes; null off Linux. */
export function peakRssBytes(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
