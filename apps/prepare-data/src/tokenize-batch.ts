// The worker's job for one batch: read its records and tokenize each key's text into a packed buffer
// per key (ids back to back plus one size per document), ready to be transferred to the writer.

import type { EncodeInto, Tokenizer } from "@neox/tokenize";
import { newProblemLog } from "./encoding";
import type { BatchMessage, BatchResult, KeyOutput } from "./messages";
import { type RecordSink, readRecords } from "./records";

class PackedIds {
  tokens: Uint16Array | Int32Array;
  sizes = new Int32Array(64);
  count = 0;
  length = 0;

  constructor(private readonly wide: boolean) {
    this.tokens = wide ? new Int32Array(1 << 16) : new Uint16Array(1 << 16);
  }

  push(ids: readonly number[]): void {
    if (this.length + ids.length > this.tokens.length) {
      const bigger = this.wide
        ? new Int32Array(Math.max(this.tokens.length * 2, this.length + ids.length))
        : new Uint16Array(Math.max(this.tokens.length * 2, this.length + ids.length));
      bigger.set(this.tokens.subarray(0, this.length));
      this.tokens = bigger;
    }
    this.tokens.set(ids, this.length);
    this.length += ids.length;
    if (this.count === this.sizes.length) {
      const s = new Int32Array(this.sizes.length * 2);
      s.set(this.sizes);
      this.sizes = s;
    }
    this.sizes[this.count++] = ids.length;
  }

  /** Trimmed copies, so only the used bytes are transferred. */
  take(): KeyOutput {
    return { tokens: this.tokens.slice(0, this.length), sizes: this.sizes.slice(0, this.count) };
  }
}

export interface BatchOptions {
  jsonlKeys: readonly string[];
  appendEod: boolean;
  wide: boolean;
}

export function tokenizeBatch(
  tk: Tokenizer & EncodeInto,
  msg: BatchMessage,
  opts: BatchOptions,
): BatchResult {
  const keys = opts.jsonlKeys;
  const packed = keys.map(() => new PackedIds(opts.wide));
  const emptyValues = keys.map(() => 0);
  const noTokens = keys.map(() => 0);
  const ids: number[] = [];
  let records = 0;
  let textBytes = 0;
  const sink: RecordSink = {
    log: newProblemLog(),
    recordKeys: undefined,
    record: (texts) => {
      records++;
      for (let k = 0; k < keys.length; k++) {
        const text = texts[k];
        if (text === undefined) {
          emptyValues[k]!++;
          continue;
        }
        textBytes += Buffer.byteLength(text, "utf8");
        ids.length = 0;
        tk.encodeInto(text, ids);
        if (ids.length === 0) {
          noTokens[k]!++;
          continue;
        }
        if (opts.appendEod) ids.push(tk.eod);
        packed[k]!.push(ids);
      }
    },
  };
  const lines = readRecords(msg.format, msg.bytes, keys, sink);
  sink.log.problems.sort((a, b) => a.line - b.line);
  return {
    seq: msg.seq,
    lines,
    records,
    textBytes,
    keys: packed.map((p) => p.take()),
    emptyValues,
    noTokens,
    problems: sink.log.problems,
    problemCounts: sink.log.counts,
    recordKeys: sink.recordKeys,
  };
}
