// Checks of reduceScatterV (a count per rank, run by the engine's ring) and drain, for the
// collectives worker: uneven and empty segments, segments longer than the ring's 1 MB chunk, sum,
// mean, accumulating into the output, bf16, the input left as it was (or zeroed by discard), the
// output being the rank's own segment of the input (in place), an all-gather whose input is the
// rank's block of its output (in place), and drain returning only once an un-awaited all-reduce
// has finished.
import { NativeBuffer } from "@neox/kernels";
import type { ProcessGroup } from "../../src/index";
import { bf16ToFloat, floatToBf16 } from "./bf16";
import { bfVal, expectEqual, val } from "./values";

type Check = (name: string, body: () => Promise<void>) => Promise<void>;

/** Rank r's segment length: short, several ring chunks (256 Ki elements), empty, exactly one chunk. */
const countOf = (r: number) => [7, 600_007, 0, 262_144][r % 4]!;

export async function reduceScatterVChecks(pg: ProcessGroup, check: Check): Promise<void> {
  const { rank, size } = pg;
  const counts = Array.from({ length: size }, (_, r) => countOf(r));
  const total = counts.reduce((a, b) => a + b, 0);
  const off = counts.slice(0, rank).reduce((a, b) => a + b, 0);
  const mine = counts[rank]!;
  const sumAt = (j: number) => {
    let s = 0;
    for (let r = 0; r < size; r++) s += val(r, off + j);
    return s;
  };

  await check(`reduceScatterV f32 sum counts=${counts.join("/")}`, async () => {
    const inp = new NativeBuffer(total, "f32");
    const out = new NativeBuffer(Math.max(mine, 1), "f32");
    try {
      const x = inp.f32();
      for (let i = 0; i < total; i++) x[i] = val(rank, i);
      await pg.reduceScatterV(inp, { address: out.address, count: mine, dtype: "f32" }, counts);
      expectEqual("reduceScatterV", out.f32().subarray(0, mine), sumAt);
      expectEqual("reduceScatterV input untouched", inp.f32(), (i) => val(rank, i));
    } finally {
      inp.free();
      out.free();
    }
  });

  await check("reduceScatterV f32 avg accumulate, then discard", async () => {
    const inp = new NativeBuffer(total, "f32");
    const out = new NativeBuffer(Math.max(mine, 1), "f32");
    try {
      const x = inp.f32();
      for (let i = 0; i < total; i++) x[i] = val(rank, i);
      const o = out.f32();
      for (let j = 0; j < mine; j++) o[j] = (j % 5) * 0.25;
      const output = { address: out.address, count: mine, dtype: "f32" };
      await pg.reduceScatterV(inp, output, counts, { op: "avg", accumulate: true, discard: true });
      expectEqual("reduceScatterV accumulate", o.subarray(0, mine), (j) =>
        Math.fround((j % 5) * 0.25 + Math.fround(sumAt(j) / size)),
      );
      expectEqual("reduceScatterV discarded input", inp.f32(), () => 0);
    } finally {
      inp.free();
      out.free();
    }
  });

  await check("reduceScatterV f32 in place (the output is the own segment of the input)", async () => {
    const inp = new NativeBuffer(total, "f32");
    try {
      const x = inp.f32();
      for (let i = 0; i < total; i++) x[i] = val(rank, i);
      const output = { address: inp.address + off * 4, count: mine, dtype: "f32" };
      await pg.reduceScatterV(inp, output, counts, { op: "avg" });
      expectEqual("reduceScatterV in place", x.subarray(off, off + mine), (j) =>
        Math.fround(sumAt(j) / size),
      );
    } finally {
      inp.free();
    }
  });

  await check("allGather f32 in place (the input is the own block of the output)", async () => {
    const n = 300_007;
    const out = new NativeBuffer(n * size, "f32");
    try {
      const o = out.f32();
      o.fill(-1);
      for (let j = 0; j < n; j++) o[rank * n + j] = rank * 1000 + (j % 997);
      await pg.allGather({ address: out.address + rank * n * 4, count: n, dtype: "f32" }, out);
      expectEqual("allGather in place", o, (i) => Math.floor(i / n) * 1000 + ((i % n) % 997));
    } finally {
      out.free();
    }
  });

  await check("reduceScatterV bf16 avg", async () => {
    const inp = new NativeBuffer(total, "bf16");
    const out = new NativeBuffer(Math.max(mine, 1), "bf16");
    try {
      const x = inp.u16();
      for (let i = 0; i < total; i++) x[i] = bfVal(rank, i);
      await pg.reduceScatterV(inp, { address: out.address, count: mine, dtype: "bf16" }, counts, {
        op: "avg",
      });
      expectEqual("reduceScatterV bf16", out.u16().subarray(0, mine), (j) => {
        let s = 0;
        for (let r = 0; r < size; r++) s += bf16ToFloat(bfVal(r, off + j));
        return floatToBf16(Math.fround(s) / size);
      });
    } finally {
      inp.free();
      out.free();
    }
  });

  await check("reduceScatterV argument errors", async () => {
    const b = new NativeBuffer(8, "f32");
    try {
      const wrong = [...counts];
      wrong[0]! += 1;
      await pg.reduceScatterV(b, b, wrong).then(
        () => {
          throw new Error("reduceScatterV with counts that do not add up resolved");
        },
        (err: Error) => {
          if (!/input has 8 elements, the counts add up to/.test(err.message)) throw err;
        },
      );
    } finally {
      b.free();
    }
  });

  await check("drain waits for an operation nobody awaited yet", async () => {
    const n = 3_000_017;
    const b = new NativeBuffer(n, "f32");
    try {
      const x = b.f32();
      for (let i = 0; i < n; i++) x[i] = val(rank, i);
      const pending = pg.allReduce(b);
      pg.drain();
      // final already, before the promise settled on the event loop
      expectEqual("allReduce after drain", x, (i) => {
        let s = 0;
        for (let r = 0; r < size; r++) s += val(r, i);
        return s;
      });
      await pending;
    } finally {
      b.free();
    }
  });
}
