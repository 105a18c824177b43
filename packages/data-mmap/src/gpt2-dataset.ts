// GPT-NeoX's GPT2Dataset (packed): item i is seq_length+1 consecutive tokens of the epoch-shuffled
// document stream, chosen through shuffle_idx (neox-spec §2b; megatron/data/gpt2_dataset.py).
import { DataRequestError } from "./errors";
import {
  buildIndexInMemory,
  buildOrLoadIndex,
  type CacheNaming,
  type Gpt2Index,
  type IndexParams,
} from "./index-cache";
import type { IndexVector } from "./index-vector";
import type { IndexedDataset } from "./indexed-dataset";

/** Anything that serves samples by index: a GPT2Dataset or a BlendableDataset. */
export interface SampleSource {
  readonly length: number;
  readonly seqLength: number;
  /** Item i as `seq_length + 1` token ids (GPT-NeoX returns them as int64; the values are the same). */
  getItem(i: number, out?: Int32Array): Int32Array;
}

export interface Gpt2DatasetOptions {
  /** "train" | "valid" | "test", or "train_0"... for `*_data_paths` components (part of the cache name). */
  name: string;
  /** Documents [start, stop); default all items. */
  documents?: [number, number];
  numSamples: number | null;
  numEpochs?: number | null;
  seqLength: number;
  seed: number;
  /**
   * Where the .npy index caches go: a directory, undefined for beside the data (GPT-NeoX), or false to
   * build in memory without caches.
   */
  indexDir?: string | false;
  /** Memory the index build may hold, in bytes; default 90% of what the system reports available. */
  memoryLimitBytes?: number;
  log?: (line: string) => void;
}

export class GPT2Dataset implements SampleSource {
  readonly length: number;
  private scratch: Int32Array;

  constructor(
    readonly indexed: IndexedDataset,
    readonly index: Gpt2Index,
    readonly seqLength: number,
  ) {
    // __len__ = min(len(shuffle_idx) − 1, len(sample_idx) − 1): the last shuffled sample is never in range.
    this.length = Math.min(index.shuffleIdx.length - 1, index.sampleIdx.length / 2 - 1);
    this.scratch = new Int32Array(seqLength + 1);
  }

  /**
   * Builds (or reuses from the .npy caches) the index over `indexed` exactly as GPT-NeoX's trainer does.
   * First validates the whole .idx (one streaming pass, IndexedDataset.validate) and plans the request
   * against memory and disk (index-budget.ts), so nothing is cached from a corrupt dataset or for a
   * request this machine cannot serve: DataFormatError or DataRequestError before any file is written.
   */
  static build(indexed: IndexedDataset, o: Gpt2DatasetOptions): GPT2Dataset {
    if (indexed.dtype === "float32" || indexed.dtype === "float64") {
      throw new DataRequestError("dtype", indexed.dtype, `${indexed.binPath} holds floats, not token ids`);
    }
    indexed.checkValid();
    const [start, stop] = o.documents ?? [0, indexed.length];
    const params: IndexParams = {
      sizes: indexed.sizes(),
      start,
      stop,
      numSamples: o.numSamples,
      numEpochs: o.numEpochs,
      seqLength: o.seqLength,
      seed: o.seed,
      memoryLimitBytes: o.memoryLimitBytes,
    };
    const naming: CacheNaming = {
      dataPrefix: indexed.prefix,
      name: o.name,
      indexDir: o.indexDir === false ? undefined : o.indexDir,
    };
    let index: Gpt2Index;
    try {
      index =
        o.indexDir === false ? buildIndexInMemory(params, o.log) : buildOrLoadIndex(params, naming, o.log);
    } catch (e) {
      // Say which dataset: a blend builds several.
      if (!(e instanceof DataRequestError)) throw e;
      throw new DataRequestError(
        e.param,
        e.value,
        `${e.reason} (dataset ${indexed.prefix}, ${o.name})`,
        e.limit,
      );
    }
    return new GPT2Dataset(indexed, index, o.seqLength);
  }

  get docIdx(): IndexVector {
    return this.index.docIdx;
  }
  get sampleIdx(): IndexVector {
    return this.index.sampleIdx;
  }
  get shuffleIdx(): IndexVector {
    return this.index.shuffleIdx;
  }
  get numEpochs(): number {
    return this.index.numEpochs;
  }

  /**
   * `__getitem__(i)`. An index past the end of shuffle_idx raises IndexError in numpy, which GPT-NeoX
   * catches and retries with `i % len(self)`; negative indices count from the end as in numpy.
   */
  getItem(i: number, out: Int32Array = new Int32Array(this.seqLength + 1)): Int32Array {
    const shuffleLen = this.index.shuffleIdx.length;
    if (!Number.isInteger(i)) throw new RangeError(`sample index ${i} is not an integer`);
    if (this.length <= 0) throw new RangeError("the dataset has no samples to read");
    if (i >= shuffleLen || i < -shuffleLen) return this.getItem(i % this.length, out);
    const j = this.index.shuffleIdx.at(i < 0 ? shuffleLen + i : i);
    const s = this.index.sampleIdx;
    const f = s.at(2 * j);
    const of = s.at(2 * j + 1);
    const l = s.at(2 * j + 2);
    const ol = s.at(2 * j + 3);
    const doc = this.index.docIdx;
    let n: number;
    if (f === l) {
      n = this.read(doc.at(f), of, ol - of + 1, 0);
    } else {
      n = this.read(doc.at(f), of, undefined, 0);
      for (let k = f + 1; k < l; k++) n += this.read(doc.at(k), 0, undefined, n);
      n += this.read(doc.at(l), 0, ol + 1, n);
    }
    // Pad with 0 or truncate to seq_length + 1, as GPT-NeoX does.
    const want = this.seqLength + 1;
    out.set(this.scratch.subarray(0, Math.min(n, want)));
    if (n < want) out.fill(0, n, want);
    return out;
  }

  private read(item: number, offset: number, length: number | undefined, at: number): number {
    const n = length ?? this.indexed.size(item) - offset;
    if (at + n > this.scratch.length) {
      const bigger = new Int32Array(Math.max(at + n, 2 * this.scratch.length));
      bigger.set(this.scratch.subarray(0, at));
      this.scratch = bigger;
    }
    return this.indexed.readTokens(item, offset, n, this.scratch, at);
  }

  close(): void {
    this.index.close();
  }
}
