// .npy files and index caches: byte-identical to numpy's np.save (fixtures saved by numpy in
// make_fixtures.py), named as GPT-NeoX names them, reused when valid and rebuilt when not.
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GPT2Dataset, indexCacheStem, loadNpy, NpyArrayFile, saveNpy } from "../src/index";
import { writeFormulaCorpus } from "./corpus";
import { fixture } from "./fixture-path";

const STEM = "worked_train_indexmap_6ns_4sl_1234s_packedpi_ac";
const KINDS = ["doc_idx", "sample_idx", "shuffle_idx"] as const;
const tmp = mkdtempSync(join(tmpdir(), "neox-npy-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe(".npy", () => {
  it("reads numpy's files (int32, uint32, int64 with negatives, 2-D)", () => {
    const s = loadNpy(fixture(`npy/${STEM}_sample_idx.npy`));
    expect(s.descr).toBe("<i4");
    expect(s.shape).toEqual([9, 2]);
    expect(Array.from(s.data)).toEqual([0, 0, 0, 4, 1, 1, 2, 2, 2, 6, 3, 3, 4, 2, 5, 1, 7, 0]);
    const sh = loadNpy(fixture(`npy/${STEM}_shuffle_idx.npy`));
    expect(sh.descr).toBe("<u4");
    expect(Array.from(sh.data)).toEqual([5, 0, 3, 4, 2, 6, 1, 7]);
    const w = loadNpy(fixture("npy/int64-2x3.npy"));
    expect(w.shape).toEqual([2, 3]);
    expect(Array.from(w.data)).toEqual([1, -2, 3, 2 ** 40, 0, -(2 ** 50)]);
  });

  it("writes files byte-identical to np.save", () => {
    const p = join(tmp, "x.npy");
    saveNpy(p, "<i8", [2, 3], Float64Array.from([1, -2, 3, 2 ** 40, 0, -(2 ** 50)]));
    expect(readFileSync(p).equals(readFileSync(fixture("npy/int64-2x3.npy")))).toBe(true);
  });

  it("names the file and offset of a truncated array", () => {
    const p = join(tmp, "t.npy");
    copyFileSync(fixture(`npy/${STEM}_doc_idx.npy`), p);
    truncateSync(p, 150);
    expect(() => new NpyArrayFile(p)).toThrow(
      /t\.npy: npy data at byte 150: shape \(8\) of <i4 needs 160 bytes/,
    );
  });
});

describe("index caches", () => {
  it("uses GPT-NeoX's names, beside the data or in an index directory", () => {
    const n = { dataPrefix: "/data/pile_text_document", name: "train" };
    expect(indexCacheStem(n, 146432000, 2048, 1234)).toBe(
      "/data/pile_text_document_train_indexmap_146432000ns_2048sl_1234s_packedpi_ac",
    );
    expect(indexCacheStem({ ...n, name: "valid_1", indexDir: "/idx" }, null, 8, 0)).toBe(
      "/idx/pile_text_document_valid_1_indexmap_Nonens_8sl_0s_packedpi_ac",
    );
  });

  it("writes the worked example's caches byte-identical to numpy, then reuses them", () => {
    const indexed = writeFormulaCorpus(join(tmp, "worked"), [5, 3, 7, 2], 100);
    const opts = { name: "train", numSamples: 6, seqLength: 4, seed: 1234 } as const;
    const logs: string[] = [];
    const a = GPT2Dataset.build(indexed, { ...opts, log: (l) => logs.push(l) });
    expect(a.index.built).toBe(true);
    for (const k of KINDS) {
      const ours = readFileSync(join(tmp, `${STEM}_${k}.npy`));
      expect(ours.equals(readFileSync(fixture(`npy/${STEM}_${k}.npy`))), k).toBe(true);
    }
    expect(readdirSync(tmp).some((f) => f.includes(".tmp-"))).toBe(false);
    const first = Array.from(a.getItem(0));
    a.close();
    const b = GPT2Dataset.build(indexed, { ...opts, log: (l) => logs.push(l) });
    expect(b.index.built).toBe(false);
    expect(logs.at(-1)).toMatch(/^reusing index cache .*worked_train_indexmap_6ns_4sl_1234s_packedpi_ac_/);
    expect(Array.from(b.getItem(0))).toEqual(first);
    b.close();
    indexed.close();
  });

  it("reuses caches written by numpy itself", () => {
    const dir = mkdtempSync(join(tmp, "np-"));
    const indexed = writeFormulaCorpus(join(dir, "worked"), [5, 3, 7, 2], 100);
    for (const k of KINDS) copyFileSync(fixture(`npy/${STEM}_${k}.npy`), join(dir, `${STEM}_${k}.npy`));
    const ds = GPT2Dataset.build(indexed, { name: "train", numSamples: 6, seqLength: 4, seed: 1234 });
    expect(ds.index.built).toBe(false);
    expect(Array.from(ds.getItem(0))).toEqual([3, 4, 0, 1, 2]);
    ds.close();
  });

  it("rebuilds a truncated or mis-shaped cache and says why", () => {
    const dir = mkdtempSync(join(tmp, "bad-"));
    const indexed = writeFormulaCorpus(join(dir, "worked"), [5, 3, 7, 2], 100);
    for (const k of KINDS) copyFileSync(fixture(`npy/${STEM}_${k}.npy`), join(dir, `${STEM}_${k}.npy`));
    truncateSync(join(dir, `${STEM}_sample_idx.npy`), 190);
    const logs: string[] = [];
    const ds = GPT2Dataset.build(indexed, {
      name: "train",
      numSamples: 6,
      seqLength: 4,
      seed: 1234,
      log: (l) => logs.push(l),
    });
    expect(ds.index.built).toBe(true);
    expect(logs[0]).toMatch(/rebuilding the index: .*sample_idx\.npy: npy data at byte 190/);
    ds.close();
    // A doc_idx of another length (e.g. left over from a different corpus) is not reused either.
    saveNpy(join(dir, `${STEM}_doc_idx.npy`), "<i4", [3], Int32Array.from([0, 1, 2]));
    const logs2: string[] = [];
    const again = GPT2Dataset.build(indexed, {
      name: "train",
      numSamples: 6,
      seqLength: 4,
      seed: 1234,
      log: (l) => logs2.push(l),
    });
    expect(logs2[0]).toMatch(/doc_idx\.npy holds <i4 \(3\), these parameters need <i4 \(8\)/);
    expect(Array.from(again.getItem(0))).toEqual([3, 4, 0, 1, 2]);
    again.close();
    expect(existsSync(join(dir, `${STEM}_doc_idx.npy`))).toBe(true);
  });
});

describe("stale caches: contents that do not index this dataset are rebuilt when loaded", () => {
  const opts = { name: "train", numSamples: 6, seqLength: 4, seed: 1234 } as const;

  function rebuilt(dir: string, sizes: number[]): { logs: string[]; items: number[][] } {
    const indexed = writeFormulaCorpus(join(dir, "worked"), sizes, 100);
    const logs: string[] = [];
    const ds = GPT2Dataset.build(indexed, { ...opts, log: (l) => logs.push(l) });
    expect(ds.index.built).toBe(true);
    const items = Array.from({ length: ds.length }, (_, i) => Array.from(ds.getItem(i)));
    const fresh = GPT2Dataset.build(indexed, { ...opts, indexDir: false });
    expect(items).toEqual(Array.from({ length: fresh.length }, (_, i) => Array.from(fresh.getItem(i))));
    ds.close();
    indexed.close();
    return { logs, items };
  }

  it("a cache of another dataset with the same shapes (same documents and tokens, other sizes)", () => {
    const dir = mkdtempSync(join(tmp, "stale-"));
    for (const k of KINDS) copyFileSync(fixture(`npy/${STEM}_${k}.npy`), join(dir, `${STEM}_${k}.npy`));
    // 17 tokens in 4 documents as in the worked example [5, 3, 7, 2], so every shape matches.
    const { logs } = rebuilt(dir, [2, 7, 3, 5]);
    expect(logs[0]).toMatch(
      /^rebuilding the index: .*_sample_idx\.npy: row \d+ \(\d+, \d+\): offset outside document \d of \d tokens$/,
    );
  });

  it("a doc_idx naming a document outside the range, a shuffle_idx naming a sample past the end", () => {
    const dir = mkdtempSync(join(tmp, "stale2-"));
    for (const k of KINDS) copyFileSync(fixture(`npy/${STEM}_${k}.npy`), join(dir, `${STEM}_${k}.npy`));
    saveNpy(join(dir, `${STEM}_doc_idx.npy`), "<i4", [8], Int32Array.from([2, 1, 2, 0, 0, 9, 3, 3]));
    expect(rebuilt(dir, [5, 3, 7, 2]).logs[0]).toMatch(
      /doc_idx\.npy: element 5 is 9, not a document of \[0, 4\)$/,
    );
    saveNpy(join(dir, `${STEM}_shuffle_idx.npy`), "<u4", [8], Uint32Array.from([5, 0, 3, 4, 2, 6, 1, 8]));
    expect(rebuilt(dir, [5, 3, 7, 2]).logs[0]).toMatch(
      /shuffle_idx\.npy: element 7 is 8, not a sample of \[0, 8\)$/,
    );
  });
});
