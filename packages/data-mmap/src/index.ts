// @neox/data-mmap: Megatron .bin/.idx datasets and GPT-NeoX's sample order, with no other @neox dependency.
export {
  BlendableDataset,
  type BlendingIndices,
  buildBlendingIndices,
  checkWeights,
  numpySum,
  weightedNumSamples,
  weightsByNumDocs,
} from "./blendable-dataset";
export { bestFittingDtype, DTYPE_CODES, type DType, ITEM_SIZES, type TokenArray, toNumbers } from "./dtypes";
export { DataFormatError, DataRequestError } from "./errors";
export { GPT2Dataset, type Gpt2DatasetOptions, type SampleSource } from "./gpt2-dataset";
export {
  buildDocIdx,
  buildShuffleIdx,
  numEpochsFor,
  sampleIdxDescr,
  shuffleIdxDescr,
  tokensPerEpoch,
  totalSamples,
  walkSampleIdx,
} from "./gpt2-index";
export { encodeIdxHeader, IDX_HEADER_BYTES, IDX_MAGIC, type IdxHeader, parseIdxHeader } from "./idx-header";
export { type IdxValidation, MAX_LISTED_PROBLEMS, validateIdx } from "./idx-validate";
export {
  availableMemoryBytes,
  type BuildCost,
  buildCost,
  checkBuildResources,
  type IndexPlan,
  type IndexRequest,
  MAX_TYPED_ARRAY_LENGTH,
  planIndex,
  planWithin,
  type ResourceLimits,
} from "./index-budget";
export {
  buildIndexInMemory,
  buildOrLoadIndex,
  type CacheNaming,
  type Gpt2Index,
  type IndexParams,
  indexCacheStem,
} from "./index-cache";
export { ArrayVector, type IndexVector, sha256Int64 } from "./index-vector";
export { IndexedDataset, type OpenOptions } from "./indexed-dataset";
export { IndexedDatasetWriter, type WriterOptions } from "./indexed-dataset-writer";
export { MT19937 } from "./mt19937";
export {
  type BuildOptions,
  buildNeoxDataset,
  type DatasetComponent,
  type NeoxDataArgs,
  type NeoxDataset,
  requestedSamples,
} from "./neox-datasets";
export {
  type IndexArray,
  loadNpy,
  NPY_MAX_HEADER_BYTES,
  NpyArrayFile,
  type NpyDescr,
  type NpyInfo,
  NpyWriter,
  npyHeader,
  readNpyInfo,
  saveNpy,
} from "./npy";
export { digestSamples, FIRST_SAMPLES_MAX_TOKENS, type SampleDigest } from "./sample-digest";
export { parseSplit, pyRound, SPLIT_NAMES, type SplitName, splitBoundaries } from "./split";
export { type DatasetStats, datasetStats, type SizeBucket } from "./stats";
export { commitTemp, discardTemp, fsyncDir, removeStaleTemporaries, tempPathFor } from "./temp-files";
