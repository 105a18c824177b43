// Builds GPT2Dataset index mappings, or reuses them from .npy caches named as GPT-NeoX names them
// (gpt2_dataset.py `_build_index_mappings`):
//   {prefix}_{name}_indexmap_{num_samples}ns_{seq_length}sl_{seed}s_{pack_impl}pi[_ac]_{doc,sample,shuffle}_idx.npy
// GPT-NeoX reuses the three files whenever they exist. We also check that each one parses, has the dtype
// GPT-NeoX writes and the shape these parameters imply, and that their contents index this dataset
// (cache-check.ts), and rebuild (saying why) when one does not.
// Before a build the request is planned and checked against memory and disk (index-budget.ts), stale
// temporaries of dead processes are removed, and the three files are written under temporary names and
// renamed into place only when all three are complete, so a failed build leaves no cache behind.
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { checkCacheContents } from "./cache-check";
import { buildDocIdx, buildShuffleIdx, walkSampleIdx } from "./gpt2-index";
import { checkBuildResources, type IndexPlan, type IndexRequest, planWithin } from "./index-budget";
import { ArrayVector, type IndexVector } from "./index-vector";
import { MT19937 } from "./mt19937";
import { type IndexArray, NpyArrayFile, type NpyDescr, NpyWriter } from "./npy";
import { removeStaleTemporaries } from "./temp-files";

export interface IndexParams extends IndexRequest {
  /** Memory the build may hold, in bytes; default 90% of what the system reports available. */
  memoryLimitBytes?: number;
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

/** Lines worth a log entry about a plan: what GPT-NeoX would do silently. */
function planNotes(p: IndexParams, plan: IndexPlan): string[] {
  if (p.seqLength < plan.tokensPerEpoch) return [];
  return [
    `seq_length ${p.seqLength} is at least the ${plan.tokensPerEpoch} tokens of documents [${p.start}, ${p.stop}): every sample repeats them (${plan.numEpochs} epochs for ${plan.samples} samples)`,
  ];
}

/** Builds the three arrays in memory (no cache files). */
export function buildIndexInMemory(p: IndexParams, log: (line: string) => void = () => {}): Gpt2Index {
  const plan = planWithin(p, { inMemory: true, memoryLimitBytes: p.memoryLimitBytes });
  for (const line of planNotes(p, plan)) log(line);
  const { numEpochs: epochs, tokensPerEpoch: tokens, samples: n } = plan;
  const rng = new MT19937(p.seed);
  const docIdx = buildDocIdx(p.start, p.stop, epochs, rng);
  const wide = plan.sampleIdxDescr === "<i8";
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
  const stem = indexCacheStem(naming, p.numSamples, p.seqLength, p.seed);
  const limits = { inMemory: false, cacheDir: dirname(stem), memoryLimitBytes: p.memoryLimitBytes };
  const plan = planWithin(p, limits, false);
  const { numEpochs: epochs, tokensPerEpoch: tokens, samples: n } = plan;
  for (const line of planNotes(p, plan)) log(line);
  const files = {
    docIdx: `${stem}_doc_idx.npy`,
    sampleIdx: `${stem}_sample_idx.npy`,
    shuffleIdx: `${stem}_shuffle_idx.npy`,
  };
  const expect: Record<keyof typeof files, [NpyDescr, number[]]> = {
    docIdx: ["<i4", [plan.docIdxLength]],
    sampleIdx: [plan.sampleIdxDescr, [n + 1, 2]],
    shuffleIdx: [plan.shuffleIdxDescr, [n]],
  };
  let decision: string;
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
      const [d, s, sh] = opened as [NpyArrayFile, NpyArrayFile, NpyArrayFile];
      const problem = checkCacheContents(d, s, sh, p.sizes, p.start, p.stop);
      if (problem) throw new Error(problem);
      log(`reusing index cache ${stem}_{doc,sample,shuffle}_idx.npy`);
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
      decision = `rebuilding the index: ${(e as Error).message}`;
    }
  } else {
    decision = `building index ${stem}_{doc,sample,shuffle}_idx.npy`;
  }
  // Said only once the build is known to fit: a refusal is then the one line the user sees.
  checkBuildResources(p, plan, limits);
  log(decision);
  for (const f of Object.values(files)) {
    for (const stale of removeStaleTemporaries(f))
      log(`removed ${stale}, left by a process that no longer runs`);
  }
  log(`${epochs} epoch(s) of ${tokens} tokens: doc_idx ${plan.docIdxLength} entries, ${n} samples`);

  // Build in GPT-NeoX's order (doc_idx, then sample_idx, then shuffle_idx: the RNG stream depends on it),
  // writing sample_idx as it is walked so peak memory is doc_idx + shuffle_idx + one chunk. The three
  // files are renamed into place together at the end.
  const writers = (Object.keys(files) as (keyof typeof files)[]).map(
    (k) => new NpyWriter(files[k], expect[k][0], expect[k][1]),
  ) as [NpyWriter, NpyWriter, NpyWriter];
  const [docW, sampleW, shuffleW] = writers;
  let docIdx: Int32Array;
  let shuffle: Uint32Array | Float64Array;
  try {
    const rng = new MT19937(p.seed);
    docIdx = buildDocIdx(p.start, p.stop, epochs, rng);
    docW.append(docIdx);
    walkSampleIdx(p.sizes, docIdx, p.seqLength, epochs, tokens, (rows, count) =>
      sampleW.append(rows, 0, 2 * count),
    );
    shuffle = buildShuffleIdx(n, rng);
    shuffleW.append(shuffle);
    for (const w of writers) w.finish();
    for (const w of writers) w.commit();
  } catch (e) {
    for (const w of writers) w.abort();
    throw e;
  }
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
