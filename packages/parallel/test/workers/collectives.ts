// Run under mpirun by test/collectives.mpi.test.ts: every rank checks each collective against its
// definition and prints one line `REPORT {"rank", "size", "checks": {name: "ok" | error}}`, then
// exits 0 when every check passed. Values are small integers (or bf16 values whose fp32 sums are
// exact), so expected results are exact and independent of MPI's reduction order.
import { NativeBuffer } from "@neox/kernels";
import { initProcessGroup, type ProcessGroup } from "../../src/index";
import { bf16ToFloat, floatToBf16 } from "./bf16";
import { reduceScatterVChecks } from "./reduce-scatter-v";
import { bfVal, expectEqual, val } from "./values";

const SIZES = [1, 7, 1_000_003];
// Past the engine's ring threshold (16 MB of fp32, kernels/mpi/engine.h) and not a multiple of the
// rank count, so the ring's segments are uneven.
const RING_SIZE = 4_194_319;
const checks: Record<string, string> = {};
const pg = initProcessGroup();
const { rank, size } = pg;

async function check(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    checks[name] = "ok";
  } catch (err) {
    checks[name] = err instanceof Error ? err.message : String(err);
  }
}

function withBuffers(counts: number[], dtype: "f32" | "bf16", body: (b: NativeBuffer[]) => Promise<void>) {
  const bufs = counts.map((c) => new NativeBuffer(c, dtype));
  return body(bufs).finally(() => {
    for (const b of bufs) b.free();
  });
}

async function allReduceChecks(g: ProcessGroup): Promise<void> {
  for (const n of [...SIZES, RING_SIZE]) {
    for (const op of ["sum", "avg"] as const) {
      await check(`allReduce f32 ${op} n=${n}`, () =>
        withBuffers([n], "f32", async ([b]) => {
          const x = b!.f32();
          for (let i = 0; i < n; i++) x[i] = val(rank, i);
          await g.allReduce(b!, { op });
          expectEqual("allReduce", x, (i) => {
            let s = 0;
            for (let r = 0; r < size; r++) s += val(r, i);
            return Math.fround(op === "sum" ? s : s / size);
          });
        }),
      );
      await check(`allReduce bf16 ${op} n=${n}`, () =>
        withBuffers([n], "bf16", async ([b]) => {
          const x = b!.u16();
          for (let i = 0; i < n; i++) x[i] = bfVal(rank, i);
          await g.allReduce(b!, { op });
          expectEqual("allReduce bf16", x, (i) => {
            let s = 0;
            for (let r = 0; r < size; r++) s += bf16ToFloat(bfVal(r, i));
            return floatToBf16(op === "sum" ? s : Math.fround(s) / size);
          });
        }),
      );
    }
  }
}

async function reduceScatterChecks(): Promise<void> {
  for (const n of SIZES) {
    await check(`reduceScatter f32 sum n=${n}`, () =>
      withBuffers([n * size, n], "f32", async ([inp, out]) => {
        const x = inp!.f32();
        for (let i = 0; i < n * size; i++) x[i] = val(rank, i);
        await pg.reduceScatter(inp!, out!);
        expectEqual("reduceScatter", out!.f32(), (j) => {
          let s = 0;
          for (let r = 0; r < size; r++) s += val(r, rank * n + j);
          return s;
        });
      }),
    );
    await check(`reduceScatter bf16 avg n=${n}`, () =>
      withBuffers([n * size, n], "bf16", async ([inp, out]) => {
        const x = inp!.u16();
        for (let i = 0; i < n * size; i++) x[i] = bfVal(rank, i);
        await pg.reduceScatter(inp!, out!, { op: "avg" });
        expectEqual("reduceScatter bf16", out!.u16(), (j) => {
          let s = 0;
          for (let r = 0; r < size; r++) s += bf16ToFloat(bfVal(r, rank * n + j));
          return floatToBf16(Math.fround(s) / size);
        });
      }),
    );
  }
}

async function moveChecks(): Promise<void> {
  for (const n of SIZES) {
    await check(`allGather f32 n=${n}`, () =>
      withBuffers([n, n * size], "f32", async ([inp, out]) => {
        const x = inp!.f32();
        for (let j = 0; j < n; j++) x[j] = rank * 10007 + (j % 100_000);
        await pg.allGather(inp!, out!);
        expectEqual("allGather", out!.f32(), (i) => Math.floor(i / n) * 10007 + ((i % n) % 100_000));
      }),
    );
    await check(`allGather bf16 n=${n}`, () =>
      withBuffers([n, n * size], "bf16", async ([inp, out]) => {
        const x = inp!.u16();
        for (let j = 0; j < n; j++) x[j] = (rank * 257 + j) & 0xffff;
        await pg.allGather(inp!, out!);
        expectEqual("allGather bf16", out!.u16(), (i) => (Math.floor(i / n) * 257 + (i % n)) & 0xffff);
      }),
    );
    const root = size - 1;
    await check(`broadcast f32 root=${root} n=${n}`, () =>
      withBuffers([n], "f32", async ([b]) => {
        const x = b!.f32();
        for (let i = 0; i < n; i++) x[i] = rank === root ? val(root, i) : -1;
        await pg.broadcast(b!, root);
        expectEqual("broadcast", x, (i) => val(root, i));
      }),
    );
  }
  await check("send/recv ring", () =>
    withBuffers([1_000_003, 1_000_003], "f32", async ([out, inp]) => {
      const next = (rank + 1) % size;
      const prev = (rank + size - 1) % size;
      const x = out!.f32();
      for (let i = 0; i < x.length; i++) x[i] = val(rank, i);
      inp!.f32().fill(-1);
      // Both are in flight at once: a blocking send on every rank first would deadlock the ring.
      await Promise.all([pg.send(out!, next, 5), pg.recv(inp!, prev, 5)]);
      expectEqual("ring recv", inp!.f32(), (i) => val(prev, i));
    }),
  );
  await check("barrier", () => pg.barrier());
}

async function subGroupChecks(): Promise<void> {
  await check("split even/odd", async () => {
    const sub = await pg.split(rank % 2, rank);
    if (!sub) throw new Error("split returned no group for a non-negative color");
    const members = [...Array(size).keys()].filter((r) => r % 2 === rank % 2);
    if (sub.size !== members.length || sub.rank !== members.indexOf(rank))
      throw new Error(
        `sub-group is rank ${sub.rank} of ${sub.size}, expected ${members.indexOf(rank)} of ${members.length}`,
      );
    await withBuffers([7], "f32", async ([b]) => {
      b!.f32().fill(rank);
      await sub.allReduce(b!);
      expectEqual("sub-group allReduce", b!.f32(), () => members.reduce((a, r) => a + r, 0));
    });
    await allReduceChecksSmall(sub, members);
    await sub.free();
  });
  await check("split negative color", async () => {
    const sub = await pg.split(rank === 0 ? -1 : 0);
    if (rank === 0 && sub !== null) throw new Error("rank 0 passed color -1 but got a group");
    if (rank !== 0 && sub?.size !== size - 1)
      throw new Error(`expected a group of ${size - 1}, got ${sub?.size}`);
    await sub?.free();
  });
}

// Sub-group broadcast from its last member, named by sub-group rank.
async function allReduceChecksSmall(sub: ProcessGroup, members: number[]): Promise<void> {
  await withBuffers([3], "f32", async ([b]) => {
    b!.f32().fill(rank);
    await sub.broadcast(b!, sub.size - 1);
    expectEqual("sub-group broadcast", b!.f32(), () => members[members.length - 1]!);
  });
}

// The event loop keeps running while a collective is in flight: every rank but 0 joins 300 ms late,
// so rank 0's all-reduce cannot finish before then; timers must fire meanwhile on rank 0.
async function offThreadCheck(): Promise<{ ticks: number; waitedMs: number }> {
  let ticks = 0;
  let waitedMs = 0;
  await check("off the JS thread", () =>
    withBuffers([4_000_000], "f32", async ([b]) => {
      await pg.barrier();
      if (rank !== 0) await new Promise((r) => setTimeout(r, 300));
      b!.f32().fill(1);
      const timer = setInterval(() => ticks++, 10);
      const t0 = performance.now();
      await pg.allReduce(b!);
      waitedMs = performance.now() - t0;
      clearInterval(timer);
      expectEqual("large allReduce", b!.f32(), () => size);
    }),
  );
  return { ticks, waitedMs };
}

await allReduceChecks(pg);
await reduceScatterChecks();
await reduceScatterVChecks(pg, check);
await moveChecks();
await subGroupChecks();
const offThread = await offThreadCheck();
await check("argument errors name the call", async () => {
  const b = new NativeBuffer(4, "f32");
  try {
    await pg.broadcast(b, size).then(
      () => {
        throw new Error("broadcast to a root outside the group resolved");
      },
      (err: Error) => {
        if (!/broadcast: root \d+ is not a rank/.test(err.message)) throw err;
      },
    );
  } finally {
    b.free();
  }
});
const mpi = pg.backend as unknown as { library: string; threadLevel: number };
console.log(
  `REPORT ${JSON.stringify({ rank, size, checks, offThread, library: mpi.library, threadLevel: mpi.threadLevel })}`,
);
pg.finalize();
process.exitCode = Object.values(checks).every((v) => v === "ok") ? 0 : 1;
