// One dataset per --jsonl-keys key: `<prefix>_<key>_document.bin/.idx`, written by @neox/data-mmap's
// writer under temporary names and renamed into place only when every input was read successfully.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { IndexedDatasetWriter } from "@neox/data-mmap";
import type { KeyOutput } from "./messages";

export function outputPrefixFor(prefix: string, key: string): string {
  return `${prefix}_${key}_document`;
}

export class KeyOutputs {
  readonly writers: IndexedDatasetWriter[];
  readonly tokens: number[];

  constructor(prefix: string, keys: readonly string[], vocabSize: number) {
    const dir = dirname(outputPrefixFor(prefix, "x"));
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new Error(
        `--output-prefix ${prefix}: cannot create the directory ${dir} (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
    this.writers = [];
    try {
      for (const key of keys)
        this.writers.push(IndexedDatasetWriter.create(outputPrefixFor(prefix, key), { vocabSize }));
    } catch (err) {
      this.abort();
      throw err;
    }
    this.tokens = keys.map(() => 0);
  }

  /** Appends one batch's documents for each key, one item and one document each (as preprocess_data). */
  append(keys: readonly KeyOutput[]): void {
    keys.forEach((out, k) => {
      const w = this.writers[k]!;
      let at = 0;
      for (let d = 0; d < out.sizes.length; d++) {
        const n = out.sizes[d]!;
        w.addDocument(out.tokens.subarray(at, at + n));
        at += n;
      }
      this.tokens[k]! += at;
    });
  }

  finalize(): void {
    for (const w of this.writers) w.finalize();
  }

  abort(): void {
    for (const w of this.writers) w.abort();
  }
}
