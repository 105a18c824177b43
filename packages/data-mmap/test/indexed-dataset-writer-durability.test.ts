// The writer's commit protocol, observed from outside: the system calls a real writer makes (strace),
// and what a real crash between the two renames leaves (strace kills the process at the .idx rename,
// before it happens). Without strace the syscall tests skip with a printed reason; the in-process
// checks (no temporaries left, abort keeps the old dataset) always run.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { IndexedDataset, IndexedDatasetWriter, removeStaleTemporaries } from "../src/index";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, "../../..");
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const SRC = join(here, "../src/index.ts");
const tmp = mkdtempSync(join(tmpdir(), "neox-writer-durability-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const haveStrace = spawnSync("strace", ["-V"]).status === 0;
if (!haveStrace) console.warn("skipping the writer's syscall-order tests: strace is not installed");

// A child that writes `docs` documents of 4 tokens each to PREFIX and finalizes.
const CHILD = join(tmp, "write.mjs");
writeFileSync(
  CHILD,
  `const { IndexedDatasetWriter } = await import(process.argv[2]);
const w = IndexedDatasetWriter.create(process.argv[3], { vocabSize: 1000 });
for (let d = 0; d < Number(process.argv[4]); d++) w.addDocument([1, 2, 3, d % 1000]);
w.finalize();
`,
);

function writeInChild(prefix: string, docs: number, strace: string[] = []) {
  const node = [
    process.execPath,
    "--conditions=@neox/source",
    "--import",
    TSX,
    CHILD,
    SRC,
    prefix,
    String(docs),
  ];
  const [cmd, ...args] = strace.length > 0 ? ["strace", ...strace, ...node] : node;
  return spawnSync(cmd!, args, { encoding: "utf8" });
}

function fresh(name: string): string {
  const d = join(tmp, name);
  mkdirSync(d);
  return d;
}

describe("IndexedDatasetWriter commit", () => {
  it("leaves only PREFIX.bin/.idx after finalize, and abort keeps the previous dataset intact", () => {
    const d = fresh("inproc");
    const prefix = join(d, "ds");
    const first = IndexedDatasetWriter.create(prefix, { vocabSize: 100 });
    first.addDocument([1, 2, 3]);
    first.finalize();
    expect(readdirSync(d).sort()).toEqual(["ds.bin", "ds.idx"]);
    const before = [readFileSync(`${prefix}.bin`), readFileSync(`${prefix}.idx`)];

    const second = IndexedDatasetWriter.create(prefix, { vocabSize: 100 });
    second.addDocument([4, 5, 6, 7, 8]);
    // While it writes, its temporaries (the .bin, the .idx with its sizes so far, doc_idx) are named
    // <final>.tmp-<pid>-<tag>, so a later run can tell whose they are.
    const tmp = (ext: string) =>
      expect.stringMatching(new RegExp(`^ds\\.${ext}\\.tmp-${process.pid}-[0-9a-z]+$`));
    expect(readdirSync(d).filter((f) => f.includes(".tmp-"))).toEqual(
      expect.arrayContaining([tmp("bin"), tmp("idx"), tmp("idx")]),
    );
    expect(readdirSync(d).filter((f) => f.includes(".tmp-")).length).toBe(3);
    second.abort();
    expect(readdirSync(d).sort()).toEqual(["ds.bin", "ds.idx"]);
    expect([readFileSync(`${prefix}.bin`), readFileSync(`${prefix}.idx`)]).toEqual(before);
  });

  it("sizes, pointers and doc_idx cross the writer's 65536-entry chunks intact", () => {
    const prefix = join(fresh("chunks"), "ds");
    const w = IndexedDatasetWriter.create(prefix, { dtype: "int32" });
    const items = 150_000;
    for (let i = 0; i < items; i++) {
      w.addItem(Array.from({ length: i % 7 }, (_, k) => i + k));
      if (i % 3 === 2) w.endDocument();
    }
    w.finalize();
    const ds = IndexedDataset.open(prefix);
    try {
      expect(ds.length).toBe(items);
      let pointer = 0;
      for (const i of [0, 1, 65_535, 65_536, 65_537, 131_072, items - 1]) {
        expect(ds.size(i)).toBe(i % 7);
        expect(Array.from(ds.get(i) as Int32Array)).toEqual(Array.from({ length: i % 7 }, (_, k) => i + k));
      }
      for (let i = 0; i < 70_000; i++) pointer += (i % 7) * 4;
      expect(ds.pointer(70_000)).toBe(pointer);
      const docIdx = ds.docIdx();
      expect(docIdx.length).toBe(items / 3 + 1);
      expect([docIdx[0], docIdx[1], docIdx[40_000], docIdx.at(-1)]).toEqual([0, 3, 120_000, items]);
    } finally {
      ds.close();
    }
  });

  it("memory does not grow with the number of documents (sizes and doc_idx go to disk as they come)", () => {
    const w = IndexedDatasetWriter.create(join(fresh("memory"), "ds"), { vocabSize: 100 });
    const one = [1];
    for (let d = 0; d < 100_000; d++) w.addDocument(one); // buffers in use
    const before = process.memoryUsage().arrayBuffers;
    for (let d = 0; d < 2_000_000; d++) w.addDocument(one);
    // Held in memory, 2M documents would add 24 MB (int32 size + float64 doc_idx each, grown by doubling).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 << 20);
    w.finalize();
  });

  it("a directory that does not exist is named in the error, and no temporary is left registered", () => {
    expect(() => IndexedDatasetWriter.create(join(tmp, "missing/dir/ds"))).toThrow(
      /missing\/dir\/ds\.bin: cannot create the dataset \(ENOENT/,
    );
  });

  it.skipIf(!haveStrace)(
    "fsyncs both files, removes the old .idx, renames .bin, then .idx, fsyncing the directory after each",
    () => {
      const d = fresh("order");
      expect(writeInChild(join(d, "ds"), 5).status).toBe(0); // an existing dataset to replace
      const r = writeInChild(join(d, "ds"), 50, [
        "-f",
        "-qq",
        "-y",
        "-e",
        "trace=fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat",
      ]);
      expect(r.status, r.stderr).toBe(0);
      // One event per call that touches the dataset's directory, e.g. "fsync ds.bin.tmp" or "rename ds.idx".
      const events = r.stderr
        .split("\n")
        .filter((l) => l.includes(d) && / = 0$/.test(l))
        .filter((l) => !/unlink/.test(l) || l.includes(`${d}/ds.idx"`)) // scratch temporaries aside
        .map((l) => {
          if (/unlink/.test(l)) return "unlink ds.idx";
          const call = /(fsync|fdatasync|rename\w*)\(/.exec(l)![1]!.replace(/^fdatasync$/, "fsync");
          if (call === "fsync") {
            const path = /<([^>]*)>/.exec(l)![1]!;
            return `fsync ${path === d ? "dir" : path.slice(d.length + 1).replace(/\.tmp-.*/, ".tmp")}`;
          }
          return `rename ${/"[^"]*", "([^"]*)"/.exec(l)![1]!.slice(d.length + 1)}`;
        });
      expect(events).toEqual([
        "fsync ds.bin.tmp",
        "fsync ds.idx.tmp",
        "unlink ds.idx",
        "fsync dir",
        "rename ds.bin",
        "fsync dir",
        "rename ds.idx",
        "fsync dir",
      ]);
    },
  );

  it.skipIf(!haveStrace)(
    "a crash between the renames leaves no .idx (a missing dataset), never a new .bin beside the old .idx",
    () => {
      const d = fresh("crash");
      const prefix = join(d, "ds");
      expect(writeInChild(prefix, 5).status).toBe(0);
      // Kill the writer at its second rename (the .idx), before the rename happens.
      const r = writeInChild(prefix, 9, [
        "-f",
        "-qq",
        "-e",
        "trace=rename",
        "-e",
        "inject=rename:error=EIO:signal=SIGKILL:when=2",
      ]);
      expect(r.signal ?? r.status).not.toBe(0);
      expect(readFileSync(`${prefix}.bin`).length).toBe(9 * 4 * 2); // the new .bin is in place
      expect(existsSync(`${prefix}.idx`)).toBe(false); // the old index was removed before it
      expect(() => IndexedDataset.open(prefix)).toThrow(/ds\.idx/);
      // SIGKILL ran no exit hook: the .idx temporary of the dead pid is left, and a later run removes it.
      const leftover = readdirSync(d).filter((f) => f.includes(".tmp-"));
      expect(leftover).toEqual([expect.stringMatching(/^ds\.idx\.tmp-\d+-[0-9a-z]+$/)]);
      expect(removeStaleTemporaries(`${prefix}.idx`)).toEqual([join(d, leftover[0]!)]);
      expect(existsSync(join(d, leftover[0]!))).toBe(false);
    },
  );

  it.skipIf(!haveStrace)("a failed fsync leaves the previous dataset and no temporaries", () => {
    const d = fresh("eio");
    const prefix = join(d, "ds");
    expect(writeInChild(prefix, 5).status).toBe(0);
    const before = [readFileSync(`${prefix}.bin`), readFileSync(`${prefix}.idx`)];
    const r = writeInChild(prefix, 9, [
      "-f",
      "-qq",
      "-e",
      "trace=fsync",
      "-e",
      "inject=fsync:error=EIO:when=1",
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("EIO");
    expect(readdirSync(d).sort()).toEqual(["ds.bin", "ds.idx"]);
    expect([readFileSync(`${prefix}.bin`), readFileSync(`${prefix}.idx`)]).toEqual(before);
  });
});
