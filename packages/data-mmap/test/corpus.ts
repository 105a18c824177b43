// Test corpora whose token values follow a formula shared with tools/fixtures/data/make_fixtures.py:
// token(doc, pos) = (doc·mul + pos) mod 65521.
import { IndexedDataset, IndexedDatasetWriter } from "../src/index";

export function writeFormulaCorpus(prefix: string, sizes: readonly number[], mul: number): IndexedDataset {
  const w = IndexedDatasetWriter.create(prefix, { dtype: "uint16" });
  sizes.forEach((size, doc) => {
    w.addDocument(Array.from({ length: size }, (_, pos) => (doc * mul + pos) % 65521));
  });
  w.finalize();
  return IndexedDataset.open(prefix);
}
