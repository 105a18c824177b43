// Builds GPT2Dataset index mappings, or reuses them from .npy caches named as GPT-NeoX names them
// (gpt2_dataset.py `_build_index_mappings`):
//   {prefix}_{name}_indexmap_{num_samples}ns_{seq_length}sl_{seed}s_{pack_impl}pi[_ac]_{doc,sample,shuffle}_idx.npy
// GPT-NeoX reuses the three files whenever they exist. We also check that each one parses, has the dtype
// GPT-NeoX writes and the shape these parameters imply, and rebuild (saying why) when one does not.
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import {
  buildDocIdx,
  buildShuffleIdx,
  numEpochsFor,
  sampleIdxDescr,
  shuffleIdxDescr,
  tokensPerEpoch,
  totalSamples,
  walkSampleIdx,
} from "./gpt2-index";
import { ArrayVector, type IndexVector } from "./index-vector";
import { MT19937 } from "./mt19937";
import { type IndexArray, NpyArrayFile, type NpyDescr, NpyWriter, saveNpy } from "./npy";

export interface IndexParams {
  /** sizes of every item of the indexed dataset (int32, as `indexed_dataset.sizes`). */
  sizes: Int32Array;
  /** Documents [start, stop) of the dataset (`np.arange(start, stop)`; a split range or all). */
  start: number;
  stop: number;
  /** Requested samples; null in train_epochs mode (the cache name then says `Nonens`). */
  numSamples: number | null;
  /** Given only in train_epochs mode (GPT-NeoX passes 1); otherwise derived from numSamples. */
  numEpochs?: number | null;
  seqLength: number;
  seed: number;
}

export interface CacheNaming {
  /** The dataset prefix (GPT-NeoX `data_prefix`). */
  dataPrefix: string;
  /** "train" | "valid" | "test", or "train_0"... for `*_data_paths` components. */
  name: string;
  /** Directory for the .npy files; default: beside the data (GPT-NeoX's only choice). */
  indexDir?: string;
  packImpl?: "packed";
  allowChopped?: boolean;
}

export interface Gpt2Index {
  docIdx: IndexVector;
  /** Flattened [rows, 2]. */
  sampleIdx: IndexVector;
  shuffleIdx: IndexVector;
  numEpochs: number;
  tokensPerEpoch: number;
  /** The three cache files, when cached. */
  files?: { docIdx: string; sampleIdx: string; shuffleIdx: string };
  /** true when built now, false when loaded from the cache. */
  built: boolean;
  close(): void;
}

export function indexCacheStem(
  n: CacheNaming,
  numSamples: number | null,
  seqLength: number,
  seed: number,
): string {
  const dir = n.indexDir;
  const base = dir === undefined ? n.dataPrefix : join(dir, basename(n.dataPrefix));
  const ns = numSamples === null ? "None" : String(numSamples);
  return `${base}_${n.name}_indexmap_${ns}ns_${seqLength}sl_${seed}s_${n.packImpl ?? "packed"}pi${n.allowChopped === false ? "" : "_ac"}`;
}

function resolveEpochs(p: IndexParams): { tokens: number; epochs: number } {
  if (!(p.start >= 0 && p.stop <= p.sizes.length && p.start < p.stop)) {
    throw new Error(
      `documents [${p.start}, ${p.stop}) are not a non-empty range of the ${p.sizes.length} items`,
    );
  }
  const tokens = tokensPerEpoch(p.sizes, p.start, p.stop);
  if (p.numEpochs) return { tokens, epochs: p.numEpochs };
  if (p.numSamples === null) throw new Error("give numSamples, or numEpochs in train_epochs mode");
  return { tokens, epochs: numEpochsFor(tokens, p.seqLength, p.numSamples) };
}

/** Builds the three arrays in memory (no cache files). */
export function buildIndexInMemory(p: IndexParams): Gpt2Index {
  const { tokens, epochs } = resolveEpochs(p);
  const rng = new MT19937(p.seed);
  const docIdx = buildDocIdx(p.start, p.stop, epochs, rng);
  const n = totalSamples(epochs, tokens, p.seqLength);
  const wide = sampleIdxDescr(epochs, tokens, p.seqLength) === "<i8";
  const sample: IndexArray = wide ? new Float64Array(2 * (n + 1)) : new Int32Array(2 * (n + 1));
  let at = 0;
  walkSampleIdx(p.sizes, docIdx, p.seqLength, epochs, tokens, (rows, count) => {
    sample.set(rows.subarray(0, 2 * count) as never, at);
    at += 2 * count;
  });
  const shuffle = buildShuffleIdx(n, rng);
  return {
    docIdx: new ArrayVector(docIdx),
    sampleIdx: new ArrayVector(sample),
    shuffleIdx: new ArrayVector(shuffle),
    numEpochs: epochs,
    tokensPerEpoch: tokens,
    built: true,
    close() {},
  };
}

/**
 * Loads the index from its .npy caches when present and valid, else builds it and writes them (each to a
 * temporary name, renamed into place). `log` receives one line per decision.
 */
export function buildOrLoadIndex(
  p: IndexParams,
  naming: CacheNaming,
  log: (line: string) => void = () => {},
): Gpt2Index {
  const { tokens, epochs } = resolveEpochs(p);
  const stem = indexCacheStem(naming, p.numSamples, p.seqLength, p.seed);
  const files = {
    docIdx: `${stem}_doc_idx.npy`,
    sampleIdx: `${stem}_sample_idx.npy`,
    shuffleIdx: `${stem}_shuffle_idx.npy`,
  };
  const n = totalSamples(epochs, tokens, p.seqLength);
  const expect: Record<keyof typeof files, [NpyDescr, number[]]> = {
    docIdx: ["<i4", [(p.stop - p.start) * epochs]],
    sampleIdx: [sampleIdxDescr(epochs, tokens, p.seqLength), [n + 1, 2]],
    shuffleIdx: [shuffleIdxDescr(n), [n]],
  };
  if (Object.values(files).every((f) => existsSync(f))) {
    const opened: NpyArrayFile[] = [];
    try {
      for (const key of ["docIdx", "sampleIdx", "shuffleIdx"] as const) {
        const f = new NpyArrayFile(files[key]);
        opened.push(f);
        const [descr, shape] = expect[key];
        if (f.descr !== descr || f.info.shape.join(",") !== shape.join(",")) {
          throw new Error(
            `${files[key]} holds ${f.descr} (${f.info.shape.join(", ")}), these parameters need ${descr} (${shape.join(", ")})`,
          );
        }
      }
      log(`reusing index cache ${stem}_{doc,sample,shuffle}_idx.npy`);
      const [d, s, sh] = opened as [NpyArrayFile, NpyArrayFile, NpyArrayFile];
      return {
        docIdx: d,
        sampleIdx: s,
        shuffleIdx: sh,
        numEpochs: epochs,
        tokensPerEpoch: tokens,
        files,
        built: false,
        close: () =>
          opened.forEach((f) => {
            f.close();
          }),
      };
    } catch (e) {
      opened.forEach((f) => {
        f.close();
      });
      log(`rebuilding the index: ${(e as Error).message}`);
    }
  } else {
    log(`building index ${stem}_{doc,sample,shuffle}_idx.npy`);
  }

  // Build in GPT-NeoX's order (doc_idx, then sample_idx, then shuffle_idx: the RNG stream depends on it),
  // writing sample_idx as it is walked so peak memory is doc_idx + shuffle_idx + one chunk.
  const rng = new MT19937(p.seed);
  const docIdx = buildDocIdx(p.start, p.stop, epochs, rng);
  saveNpy(files.docIdx, "<i4", expect.docIdx[1], docIdx);
  const w = new NpyWriter(files.sampleIdx, expect.sampleIdx[0], expect.sampleIdx[1]);
  try {
    walkSampleIdx(p.sizes, docIdx, p.seqLength, epochs, tokens, (rows, count) =>
      w.append(rows, 0, 2 * count),
    );
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
  const shuffle = buildShuffleIdx(n, rng);
  saveNpy(files.shuffleIdx, expect.shuffleIdx[0], expect.shuffleIdx[1], shuffle);
  const sampleFile = new NpyArrayFile(files.sampleIdx);
  return {
    docIdx: new ArrayVector(docIdx),
    sampleIdx: sampleFile,
    shuffleIdx: new ArrayVector(shuffle),
    numEpochs: epochs,
    tokensPerEpoch: tokens,
    files,
    built: true,
    close: () => sampleFile.close(),
  };
}
