// Reader and writer against .bin/.idx files written by the independent numpy writer
// (tools/fixtures/data/write_indexed.py; regenerate with tools/fixtures/data/make_fixtures.py).
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bestFittingDtype, type DType, IndexedDataset, IndexedDatasetWriter, toNumbers } from "../src/index";
import { fixture } from "./fixture-path";

type Doc = number[] | { items: number[][] };
interface CorpusSpec {
  dtype?: DType;
  vocab_size?: number;
  documents: Doc[];
}

const CORPORA = ["corpus-u16", "corpus-i32", "corpus-i64", "corpus-u8"];
const tmp = mkdtempSync(join(tmpdir(), "neox-data-mmap-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function load(name: string): CorpusSpec {
  return JSON.parse(readFileSync(fixture(`${name}.json`), "utf8")) as CorpusSpec;
}

function itemsOf(doc: Doc): number[][] {
  return Array.isArray(doc) ? [doc] : doc.items;
}

function write(spec: CorpusSpec, prefix: string): IndexedDatasetWriter {
  const w = IndexedDatasetWriter.create(prefix, { dtype: spec.dtype, vocabSize: spec.vocab_size });
  for (const doc of spec.documents) {
    for (const item of itemsOf(doc)) w.addItem(item);
    w.endDocument();
  }
  w.finalize();
  return w;
}

describe("IndexedDatasetWriter", () => {
  for (const name of CORPORA) {
    it(`writes ${name} byte-identical to the numpy writer`, () => {
      const prefix = join(tmp, name);
      write(load(name), prefix);
      expect(readFileSync(`${prefix}.bin`).equals(readFileSync(fixture(`${name}.bin`)))).toBe(true);
      expect(readFileSync(`${prefix}.idx`).equals(readFileSync(fixture(`${name}.idx`)))).toBe(true);
    });
  }

  it("chooses uint16 below a 65500-token vocabulary and int32 from 65500 (GPT-NeoX make_builder)", () => {
    expect(bestFittingDtype(50277)).toBe("uint16");
    expect(bestFittingDtype(65499)).toBe("uint16");
    expect(bestFittingDtype(65500)).toBe("int32");
    expect(IndexedDatasetWriter.create(join(tmp, "d1"), { vocabSize: 128256 }).dtype).toBe("int32");
    expect(IndexedDatasetWriter.create(join(tmp, "d2")).dtype).toBe("int64");
  });

  it("writes under temporary names and renames on finalize", () => {
    const prefix = join(tmp, "atomic");
    const w = IndexedDatasetWriter.create(prefix, { vocabSize: 100 });
    w.addDocument([1, 2, 3]);
    expect(existsSync(`${prefix}.bin`)).toBe(false);
    expect(readdirSync(tmp).some((f) => f.startsWith("atomic.bin.tmp-"))).toBe(true);
    w.finalize();
    expect(existsSync(`${prefix}.bin`) && existsSync(`${prefix}.idx`)).toBe(true);
    expect(readdirSync(tmp).some((f) => f.startsWith("atomic.") && f.includes(".tmp-"))).toBe(false);
  });

  it("abort leaves nothing behind", () => {
    const w = IndexedDatasetWriter.create(join(tmp, "aborted"), { vocabSize: 100 });
    w.addDocument([1]);
    w.abort();
    expect(readdirSync(tmp).some((f) => f.startsWith("aborted"))).toBe(false);
  });

  it("rejects a token that does not fit the dtype, naming the item and the value", () => {
    const w = IndexedDatasetWriter.create(join(tmp, "range"), { vocabSize: 50000 });
    w.addDocument([1]);
    expect(() => w.addItem([5, 70000])).toThrow(/item 1 element 1 is 70000, which does not fit uint16/);
    expect(() => IndexedDatasetWriter.create(join(tmp, "r2"), { dtype: "int32" }).addItem([1.5])).toThrow(
      /1.5/,
    );
  });

  it("handles items larger than its write buffer", () => {
    const prefix = join(tmp, "big");
    const w = IndexedDatasetWriter.create(prefix, { dtype: "int32" });
    const big = Int32Array.from({ length: 700_000 }, (_, i) => (i * 7919) % 2147483647);
    w.addDocument(big);
    w.addDocument([9]);
    w.finalize();
    const ds = IndexedDataset.open(prefix);
    expect(ds.size(0)).toBe(700_000);
    expect(toNumbers(ds.get(0, 699_998))).toEqual([big[699_998], big[699_999]]);
    expect(toNumbers(ds.get(1))).toEqual([9]);
    ds.close();
  });
});

describe("IndexedDataset", () => {
  for (const name of CORPORA) {
    it(`reads every item of ${name} (written by numpy)`, () => {
      const spec = load(name);
      const ds = IndexedDataset.open(fixture(name));
      const items = spec.documents.flatMap(itemsOf);
      expect(ds.length).toBe(items.length);
      expect(ds.docCount).toBe(spec.documents.length + 1);
      const docIdx = [0];
      for (const d of spec.documents) docIdx.push(docIdx[docIdx.length - 1]! + itemsOf(d).length);
      expect(Array.from(ds.docIdx())).toEqual(docIdx);
      expect(Array.from(ds.sizes())).toEqual(items.map((x) => x.length));
      items.forEach((item, i) => {
        const got = toNumbers(ds.get(i));
        expect(got, `item ${i}`).toEqual(item);
      });
      ds.close();
    });
  }

  it("reads part of an item with offset and length, and token ids into an Int32Array", () => {
    const spec = load("corpus-u16");
    const ds = IndexedDataset.open(fixture("corpus-u16"));
    expect(ds.dtype).toBe("uint16");
    const item = (spec.documents[1] as number[]).slice();
    expect(toNumbers(ds.get(1, 2, 3))).toEqual(item.slice(2, 5));
    expect(toNumbers(ds.get(1, 4))).toEqual(item.slice(4));
    const out = new Int32Array(10).fill(-1);
    expect(ds.readTokens(1, 1, 2, out, 3)).toBe(2);
    expect(Array.from(out.subarray(2, 6))).toEqual([-1, item[1], item[2], -1]);
    expect(() => ds.get(1, item.length - 1, 2)).toThrow(/cannot read 2 from element/);
    expect(() => ds.get(ds.length)).toThrow(/out of range/);
    ds.close();
  });

  it("accepts the prefix with or without an extension and explains a missing file", () => {
    const ds = IndexedDataset.open(`${fixture("corpus-u8")}.idx`);
    expect(ds.length).toBe(3);
    ds.close();
    expect(() => IndexedDataset.open(join(tmp, "nope"))).toThrow(/nope\.idx: not found.*\.bin and .*\.idx/);
  });
});

describe("corrupt or truncated files", () => {
  function copy(name: string): string {
    const prefix = join(tmp, `bad-${name}-${Math.random().toString(36).slice(2)}`);
    copyFileSync(fixture(`${name}.bin`), `${prefix}.bin`);
    copyFileSync(fixture(`${name}.idx`), `${prefix}.idx`);
    return prefix;
  }
  function patch(path: string, at: number, bytes: number[]): void {
    const b = readFileSync(path);
    b.set(bytes, at);
    writeFileSync(path, b);
  }

  it("names the magic and its offset", () => {
    const p = copy("corpus-u16");
    patch(`${p}.idx`, 3, [0x41]);
    expect(() => IndexedDataset.open(p)).toThrow(/\.idx: magic at byte 3: expected "MMIDIDX/);
  });

  it("names the version and the dtype code", () => {
    const p = copy("corpus-u16");
    patch(`${p}.idx`, 9, [2]);
    expect(() => IndexedDataset.open(p)).toThrow(/\.idx: version at byte 9: expected 1, got 2/);
    const q = copy("corpus-u16");
    patch(`${q}.idx`, 17, [9]);
    expect(() => IndexedDataset.open(q)).toThrow(
      /\.idx: dtype code at byte 17: expected one of 1\.\.8.*got 9/,
    );
  });

  it("reports a truncated .idx with the sizes it needs", () => {
    const p = copy("corpus-u16");
    truncateSync(`${p}.idx`, 500);
    expect(() => IndexedDataset.open(p)).toThrow(
      /\.idx: doc_idx \(file truncated\) at byte 500: .*886-byte \.idx, the file has 500/,
    );
    const q = copy("corpus-u16");
    truncateSync(`${q}.idx`, 20);
    expect(() => IndexedDataset.open(q)).toThrow(/\.idx: header at byte 0: need 34 bytes/);
  });

  it("reports a truncated .bin naming the last item", () => {
    const p = copy("corpus-u16");
    truncateSync(`${p}.bin`, 1000);
    expect(() => IndexedDataset.open(p)).toThrow(
      /\.bin: item 42 \(pointers\[42\] \+ sizes\[42\]·2\) at byte 1864: .* the \.bin has 1000 bytes \(truncated\?\)/,
    );
  });

  it("reports a pointer past the end of the .bin", () => {
    const p = copy("corpus-u16");
    const ds0 = IndexedDataset.open(p);
    const len = ds0.length;
    ds0.close();
    // pointers[5] lives at 34 + 4·len + 8·5
    const at = 34 + 4 * len + 8 * 5;
    patch(`${p}.idx`, at, [0, 0, 0, 0, 1, 0, 0, 0]);
    const ds = IndexedDataset.open(p);
    expect(() => ds.get(5)).toThrow(new RegExp(`\\.bin: item 5 at byte ${2 ** 32}: pointers\\[5\\]`));
    ds.close();
  });

  it("reports a legacy cached index plainly", () => {
    const p = copy("corpus-u8");
    patch(`${p}.idx`, 0, Array.from(Buffer.from("TNTIDX\0\0")));
    expect(() => IndexedDataset.open(p)).toThrow(/legacy 'cached' \(TNTIDX\)/);
  });
});

describe("access cost", () => {
  it("opening reads the header and five elements; an item costs O(1) reads whatever the size", () => {
    const prefix = join(tmp, "many");
    const w = IndexedDatasetWriter.create(prefix, { vocabSize: 50277 });
    for (let d = 0; d < 200_000; d++) w.addDocument([d % 50000, 1, 2]);
    w.finalize();
    const ds = IndexedDataset.open(prefix);
    const opened = ds.ioStats();
    // header, pointers[0], sizes[last], pointers[last], doc_idx[0], doc_idx[last]: the .idx is 4 MB
    expect(opened.idx.reads).toBe(6);
    expect(opened.idx.bytes).toBe(34 + 8 + 4 + 8 + 8 + 8);
    expect(opened.bin.bytes).toBe(0);
    for (const i of [123_457, 7, 199_999, 100_000]) {
      const before = ds.ioStats();
      expect(toNumbers(ds.get(i))).toEqual([i % 50000, 1, 2]);
      const after = ds.ioStats();
      expect(after.idx.reads - before.idx.reads).toBeLessThanOrEqual(2); // one page for sizes, one for pointers
      expect(after.bin.reads - before.bin.reads).toBe(1);
      expect(after.bin.bytes - before.bin.bytes).toBe(6);
    }
    ds.close();
  });
});
