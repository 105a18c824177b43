// The writer's files read back through the independent decoder (./decoder.ts): every CRC checked,
// every (step, tag, value) triple compared with what was logged.
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DecodeError, decodeEventFile, readRecords } from "../../src/tensorboard/reader";
import { TensorBoardWriter } from "../../src/tensorboard/writer";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "neox-tb-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function decodeError(bytes: Uint8Array): DecodeError {
  try {
    readRecords(bytes);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error("the decoder accepted a damaged file");
}

describe("TensorBoardWriter", () => {
  it("names the file events.out.tfevents.<unix secs>.<hostname>", () => {
    const w = new TensorBoardWriter(join(dir, "tb"), { hostname: "node7", now: () => 1_700_000_123_456 });
    w.close();
    expect(w.path).toBe(join(dir, "tb", "events.out.tfevents.1700000123.node7"));
    expect(readdirSync(join(dir, "tb"))).toEqual(["events.out.tfevents.1700000123.node7"]);
  });

  it("never overwrites a file of the same second and host", () => {
    const opts = { hostname: "h", now: () => 5_000 };
    const a = new TensorBoardWriter(dir, opts);
    a.addScalar("x", 1, 1);
    a.close();
    const b = new TensorBoardWriter(dir, opts);
    b.close();
    expect(b.path).not.toBe(a.path);
    expect(decodeEventFile(readFileSync(a.path)).scalars).toEqual([{ step: 1, tag: "x", value: 1 }]);
  });

  it("writes file_version first, then exactly the logged scalars at their steps", () => {
    let nowMs = 1_000_000;
    const w = new TensorBoardWriter(dir, { hostname: "h", now: () => nowMs });
    const logged: [number, Record<string, number>][] = [
      [1, { "train/lm_loss": 10.8125, "train/learning_rate": 6e-4 }],
      [2, { "train/lm_loss": 9.1, "train/learning_rate": 1.2e-3, "train/grad_norm": 3.25 }],
      [100, { "runtime/tokens_per_sec": 123456.7, "runtime/model_flops_utilization": 41.5 }],
      [2 ** 40, { "validation/lm_loss": 2.5, "validation/lm_loss_ppl": Math.exp(2.5) }],
    ];
    for (const [it, m] of logged) {
      nowMs += 250;
      w.log(it, m);
    }
    w.close();

    const { events, scalars } = decodeEventFile(readFileSync(w.path));
    expect(events[0]).toEqual({ wallTime: 1000, step: 0, fileVersion: "brain.Event:2", values: [] });
    // simple_value is a 32-bit float: what comes back is each value rounded to float32.
    const want = logged.flatMap(([step, m]) =>
      Object.entries(m).map(([tag, value]) => ({ step, tag, value: Math.fround(value) })),
    );
    expect(scalars).toEqual(want);
    // Wall time is the clock, in seconds, when each event was written.
    expect(events.slice(1).map((e) => e.wallTime)).toEqual([1000.25, 1000.5, 1000.75, 1001]);
  });

  it("keeps NaN and infinities as float values", () => {
    const w = new TensorBoardWriter(dir, { hostname: "h" });
    w.log(3, { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY });
    w.close();
    const values = decodeEventFile(readFileSync(w.path)).scalars.map((s) => s.value);
    expect(values).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it("puts each record on disk as it is logged, before any flush", () => {
    const w = new TensorBoardWriter(dir, { hostname: "h", flushEvents: 1000 });
    w.log(1, { "train/lm_loss": 4 });
    w.log(2, { "train/lm_loss": 3 });
    // A reader that opens the file now (TensorBoard, or a look after a crash) sees both points.
    expect(decodeEventFile(readFileSync(w.path)).scalars.map((s) => s.step)).toEqual([1, 2]);
    w.close();
  });

  it("detects a corrupted data byte, a corrupted length byte and a truncated last record", () => {
    const w = new TensorBoardWriter(dir, { hostname: "h" });
    w.log(1, { "train/lm_loss": 4 });
    w.log(2, { "train/lm_loss": 3 });
    w.close();
    const good = readFileSync(w.path);
    const offsets: number[] = [];
    for (let off = 0, i = 0; i < 3; i++) {
      offsets.push(off);
      off += 16 + Number(good.readBigUInt64LE(off));
    }

    const data = Uint8Array.from(good);
    data[offsets[1]! + 12 + 3]! ^= 0x01; // a byte inside the second record's payload
    expect(decodeError(data)).toMatchObject({ kind: "data_crc", offset: offsets[1] });

    const len = Uint8Array.from(good);
    len[offsets[2]!]! ^= 0x40; // the third record's length
    expect(decodeError(len)).toMatchObject({ kind: "length_crc", offset: offsets[2] });

    truncateSync(w.path, good.length - 3);
    expect(decodeError(readFileSync(w.path))).toMatchObject({ kind: "truncated", offset: offsets[2] });
    writeFileSync(w.path, good.subarray(0, offsets[2]! + 5));
    expect(decodeError(readFileSync(w.path))).toMatchObject({ kind: "truncated", offset: offsets[2] });
  });

  it("refuses negative or fractional steps and writes after close, naming the file", () => {
    const w = new TensorBoardWriter(dir, { hostname: "h" });
    expect(() => w.addScalar("x", 1, -1)).toThrow(/step must be an integer >= 0, got -1/);
    expect(() => w.addScalar("x", 1, 1.5)).toThrow(/tfevents.*step must be an integer/);
    expect(() => w.addScalar("", 1, 1)).toThrow(/empty tag/);
    w.close();
    w.close();
    expect(() => w.addScalar("x", 1, 1)).toThrow(/tfevents\.\d+\.h: TensorBoard writer is closed/);
  });

  it("fsyncs every flushEvents events and after flushSecs, as well as on open and close", () => {
    let nowMs = 0;
    const w = new TensorBoardWriter(dir, { hostname: "h", flushEvents: 3, flushSecs: 10, now: () => nowMs });
    expect(w.syncs).toBe(1); // the file_version event is synced when the file is created
    w.log(1, { x: 1 });
    w.log(2, { x: 1 });
    expect(w.syncs).toBe(1);
    w.log(3, { x: 1 }); // third event since the last sync
    expect(w.syncs).toBe(2);
    nowMs = 9_999;
    w.log(4, { x: 1 });
    expect(w.syncs).toBe(2);
    nowMs = 10_000; // 10 s since the sync at 0 ms
    w.log(5, { x: 1 });
    expect(w.syncs).toBe(3);
    w.close();
    expect(w.syncs).toBe(4);
  });

  it("rejects a flush policy that could never fire", () => {
    expect(() => new TensorBoardWriter(dir, { flushEvents: 0 })).toThrow(/flushEvents/);
    expect(() => new TensorBoardWriter(dir, { flushSecs: Number.NaN })).toThrow(/flushSecs/);
  });
});
