// A small random byte corpus as a GPT-NeoX .bin/.idx dataset, for the training e2e tests: `docs`
// documents of 20 + (d mod spread) random bytes in 1..255 each (0 is the end-of-document id,
// appended to every document), from a seeded LCG, so each test's corpus is the same every run.
import { IndexedDatasetWriter } from "@neox/data-mmap";

export function writeRandomCorpus(prefix: string, docs: number, spread: number, seed: number): void {
  const w = IndexedDatasetWriter.create(prefix, { vocabSize: 512 });
  let x = seed;
  for (let d = 0; d < docs; d++) {
    const n = 20 + (d % spread);
    const doc = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      doc[i] = 1 + ((x >>> 16) % 255);
    }
    doc.push(0);
    w.addDocument(doc);
  }
  w.finalize();
}
