export { bestFittingDtype, DTYPE_CODES, type DType, ITEM_SIZES, type TokenArray, toNumbers } from "./dtypes";
export { DataFormatError } from "./errors";
export { IDX_MAGIC, type IdxHeader, parseIdxHeader } from "./idx-header";
export { IndexedDataset } from "./indexed-dataset";
export { IndexedDatasetWriter, type WriterOptions } from "./indexed-dataset-writer";
