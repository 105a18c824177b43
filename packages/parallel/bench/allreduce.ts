// All-reduce bus bandwidth of the MPI process group at 1-256 MB against this run's memcpy bandwidth.
//
//   pnpm bench:parallel                       # 2 ranks on this machine (mpirun is started for you)
//   NEOX_BENCH_RANKS=4 pnpm bench:parallel
//
// Bus bandwidth follows NCCL's convention: an all-reduce of S bytes over n ranks must move
// 2(n-1)/n × S through each rank's link, so busbw = 2(n-1)/n × S / time, comparable across rank
// counts and with a copy's bandwidth. memcpy is timed in the same run (rank 0, others idle at a
// barrier): S bytes read and S written, reported as S / time. Goal: busbw >= 60% of memcpy.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NativeBuffer } from "@neox/kernels";
import { initProcessGroup } from "../src/index";

const MB = 1 << 20;
const SIZES_MB = [1, 4, 16, 64, 256];

function cpuModel(): string {
  const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
  return m?.[1]?.trim() ?? "unknown CPU";
}

// Not under mpirun: start this file under it (as root mpirun needs --allow-run-as-root; more ranks
// than cores need --oversubscribe).
if (process.env.OMPI_COMM_WORLD_RANK === undefined) {
  const ranks = process.env.NEOX_BENCH_RANKS ?? "2";
  const self = fileURLToPath(import.meta.url);
  const args = ["--allow-run-as-root", "--oversubscribe", "-np", ranks];
  args.push(process.execPath, "--conditions=@neox/source", "--import", "tsx", self);
  const r = spawnSync("mpirun", args, { stdio: "inherit" });
  if (r.error)
    throw new Error(`bench:parallel: could not start mpirun (${r.error.message}); install openmpi-bin`);
  process.exit(r.status ?? 1);
}

const pg = initProcessGroup();
const { rank, size } = pg;

/** Median seconds of `reps` timed runs of fn, all ranks starting together. */
async function timeCollective(fn: () => Promise<void>, reps: number): Promise<number> {
  await fn(); // warm-up: page faults, MPI's first-touch buffers
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    await pg.barrier();
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function timeMemcpy(bytes: number, reps: number): number {
  const src = new NativeBuffer(bytes / 4);
  const dst = new NativeBuffer(bytes / 4);
  try {
    const s = src.f32().fill(1);
    const d = dst.f32();
    d.set(s);
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      d.set(s); // a same-type TypedArray copy is a memmove
      times.push((performance.now() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  } finally {
    src.free();
    dst.free();
  }
}

const rows: string[][] = [];
for (const mb of SIZES_MB) {
  const bytes = mb * MB;
  const reps = mb >= 64 ? 5 : 15;
  const buf = new NativeBuffer(bytes / 4);
  buf.f32().fill(1);
  const t = await timeCollective(() => pg.allReduce(buf), reps);
  buf.free();
  await pg.barrier();
  const copy = rank === 0 ? timeMemcpy(bytes, reps) : 0;
  await pg.barrier();
  const busbw = ((2 * (size - 1)) / size) * (bytes / t);
  const memcpy = bytes / copy;
  rows.push([
    `${mb} MB`,
    (t * 1000).toFixed(2),
    (bytes / t / 1e9).toFixed(2),
    (busbw / 1e9).toFixed(2),
    (memcpy / 1e9).toFixed(2),
    `${((100 * busbw) / memcpy).toFixed(0)}%`,
  ]);
}

if (rank === 0) {
  const mpi = pg.backend as unknown as { library: string };
  console.log(`all-reduce f32 sum, ${size} ranks, ${mpi.library}, ${cpuModel()}`);
  const head = ["size", "ms", "algbw GB/s", "busbw GB/s", "memcpy GB/s", "busbw/memcpy"];
  const table = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  for (const r of table) console.log(r.map((cell, c) => cell.padStart(widths[c]!)).join("  "));
  console.log("goal: busbw >= 60% of memcpy on shared memory");
}
pg.finalize();
