// Memory-bound kernels (element-wise, norms, loss, optimizer) in GB/s, counting the minimum bytes
// each must read and write once (no write-allocate, no re-reads), against the STREAM triad
// bandwidth of this machine kind (perf-anchors.md: 21 GB/s on one core, 40 on two). Goal: >= 70%.
// Our own axpyF32 is a triad (a = b + q·c) and runs in the same table, so a busy machine shows
// up as a low triad row too. Working sets are 64 MB per array, well past the caches.
import {
  adamwStep,
  axpyF32,
  castF32ToBf16,
  copyF32,
  crossEntropyBackward,
  crossEntropyForward,
  crossEntropyFused,
  dropoutForward,
  embeddingBackward,
  embeddingForward,
  fillF32,
  GLU_KIND,
  geluBackward,
  geluForward,
  globalL2Norm,
  gluForward,
  layernormBackward,
  layernormForward,
  layernormForwardBf16,
  NativeBuffer,
  numThreads,
  residualForward,
  rmsnormForward,
  STEP_SLOT_COUNT,
  STEP_SLOTS,
  scaleF32,
  setNumThreads,
  view,
} from "../../src/index";
import type { Section } from "../kernels";

const STREAM_TRIAD_GBS: Record<number, number> = { 1: 21, 2: 40 };
const GOAL = 0.7;
const N_ELEMS = 1 << 24; // 64 MB of fp32 per array
const ROWS = 16_384;
const C = 1024; // ROWS × C = N_ELEMS
const CE_ROWS = 256;
const VOCAB = 50_304;
const EMB_V = 8192;

interface Kernel {
  name: string;
  /** Minimum bytes read + written by one call. */
  bytes: number;
  call: () => void;
}

/**
 * Median wall seconds per call over `reps` timed calls after two warm-up calls, and the mean
 * process CPU seconds per call divided by the thread count (on an oversubscribed machine this is
 * the time the kernel actually ran, stalls on memory included).
 */
function timeCall(fn: () => void, threads: number, reps = 9): { wall: number; cpu: number } {
  fn();
  fn();
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return { wall: times[Math.floor(reps / 2)]!, cpu: (cpu.user + cpu.system) / 1e6 / reps / threads };
}

export async function run(): Promise<Section> {
  const bufs: NativeBuffer[] = [];
  const f32 = (n: number) => {
    const b = new NativeBuffer(n);
    bufs.push(b);
    return b.address;
  };
  const threadsBefore = numThreads();
  try {
    const [a, b, c, d] = [f32(N_ELEMS), f32(N_ELEMS), f32(N_ELEMS), f32(N_ELEMS)];
    for (const [p, v] of [
      [a, 0.5],
      [b, -0.25],
      [c, 0.125],
      [d, 1e-3],
    ] as const)
      fillF32(p, v, N_ELEMS);
    const [mean, rstd] = [f32(ROWS), f32(ROWS)];
    const w = f32(C);
    const bias = f32(C);
    fillF32(w, 1, C);
    fillF32(bias, 0, C);
    const dw = f32(C);
    const db = f32(C);
    const ids = f32(ROWS);
    const idView = new Int32Array(view(ids, ROWS * 4));
    for (let i = 0; i < ROWS; i++) idView[i] = (i * 7919) % EMB_V;
    const table = f32(EMB_V * C);
    fillF32(table, 0.01, EMB_V * C);
    const targets = f32(CE_ROWS);
    const tView = new Int32Array(view(targets, CE_ROWS * 4));
    for (let i = 0; i < CE_ROWS; i++) tView[i] = (i * 131) % VOCAB;
    const [loss, lse] = [f32(1), f32(CE_ROWS)];
    const dloss = f32(1); // the upstream gradient lives in memory: 1
    fillF32(dloss, 1, 1);
    const n = N_ELEMS;
    const NC = ROWS * C;
    const CE = CE_ROWS * VOCAB; // 51 MB of logits (in a)
    // AdamW over 4 tensors of n/4: p, g, m, v each 16 MB. lr, t and grad_scale live in a
    // step-scalars buffer, written once here as the host does before each step.
    const q = n / 4;
    const stepScalars = f32(STEP_SLOT_COUNT);
    const slots = new Float32Array(view(stepScalars, STEP_SLOT_COUNT * 4)).fill(0);
    slots[STEP_SLOTS.lr] = 1e-9;
    slots[STEP_SLOTS.step] = 1;
    slots[STEP_SLOTS.gradScale] = 1;
    const adam = () =>
      adamwStep(
        [0, 1, 2, 3].map((k) => a + k * q * 4),
        [0, 1, 2, 3].map((k) => b + k * q * 4),
        [0, 1, 2, 3].map((k) => c + k * q * 4),
        [0, 1, 2, 3].map((k) => d + k * q * 4),
        [q, q, q, q],
        [0.1, 0, 0.1, 0],
        0.9,
        0.999,
        1e-8,
        stepScalars,
      );

    const kernels: Kernel[] = [
      { name: "axpyF32 (STREAM triad shape)", bytes: 12 * n, call: () => axpyF32(c, a, b, 0.5, n) },
      { name: "copyF32", bytes: 8 * n, call: () => copyF32(c, a, n) },
      { name: "scaleF32", bytes: 8 * n, call: () => scaleF32(c, a, 0.5, n) },
      { name: "fillF32", bytes: 4 * n, call: () => fillF32(c, 0, n) },
      { name: "residualForward", bytes: 12 * n, call: () => residualForward(c, a, b, n) },
      { name: "geluForward exact", bytes: 8 * n, call: () => geluForward(c, a, n, false) },
      { name: "geluForward tanh", bytes: 8 * n, call: () => geluForward(c, a, n, true) },
      { name: "geluBackward exact", bytes: 12 * n, call: () => geluBackward(c, b, a, n, false) },
      { name: "gluForward swiglu", bytes: 6 * n, call: () => gluForward(c, a, ROWS / 2, C, GLU_KIND.swiglu) },
      { name: "dropoutForward p=0.1", bytes: 8 * n, call: () => dropoutForward(c, a, n, 0.1, 1234, 0) },
      { name: "castF32ToBf16", bytes: 6 * n, call: () => castF32ToBf16(c, a, n) },
      {
        name: `layernormForward ${ROWS}x${C}`,
        bytes: 8 * NC,
        call: () => layernormForward(c, mean, rstd, a, w, bias, ROWS, C, 1e-5),
      },
      {
        name: `layernormBackward ${ROWS}x${C}`,
        bytes: 12 * NC,
        call: () => layernormBackward(d, dw, db, b, a, w, mean, rstd, ROWS, C),
      },
      {
        name: `layernormForwardBf16 ${ROWS}x${C}`,
        bytes: 4 * NC,
        call: () => layernormForwardBf16(c, mean, rstd, a, w, bias, ROWS, C, 1e-5),
      },
      {
        name: `rmsnormForward ${ROWS}x${C}`,
        bytes: 8 * NC,
        call: () => rmsnormForward(c, rstd, a, w, ROWS, C, 1e-6),
      },
      {
        name: `embeddingForward ${ROWS} tokens x${C}`,
        bytes: 8 * NC,
        call: () => embeddingForward(c, ids, table, ROWS, C, EMB_V),
      },
      {
        name: `embeddingBackward ${ROWS} tokens x${C}`,
        bytes: 4 * NC + 8 * EMB_V * C, // dout once, every table row read and written once
        call: () => embeddingBackward(table, b, ids, ROWS, C, EMB_V),
      },
      {
        name: `crossEntropyForward ${CE_ROWS}x${VOCAB}`,
        bytes: 4 * CE,
        call: () => crossEntropyForward(loss, 0, lse, a, targets, 0, CE_ROWS, VOCAB),
      },
      {
        name: `crossEntropyBackward ${CE_ROWS}x${VOCAB}`,
        bytes: 8 * CE,
        call: () => crossEntropyBackward(c, a, lse, targets, 0, dloss, CE_ROWS, VOCAB),
      },
      {
        name: `crossEntropyFused ${CE_ROWS}x${VOCAB}`,
        bytes: 8 * CE,
        call: () => crossEntropyFused(loss, 0, c, a, targets, 0, dloss, CE_ROWS, VOCAB),
      },
      { name: "adamwStep 4 tensors", bytes: 28 * n, call: adam },
      { name: "globalL2Norm", bytes: 4 * n, call: () => globalL2Norm([a], [n]) },
    ];

    const rows: Record<string, string | number>[] = [];
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      let triadHere = 0;
      for (const k of kernels) {
        const { wall: s, cpu } = timeCall(k.call, threads);
        const gbs = k.bytes / s / 1e9;
        if (triadHere === 0) triadHere = gbs; // the first kernel is the triad
        const ratio = gbs / STREAM_TRIAD_GBS[threads]!;
        rows.push({
          kernel: k.name,
          threads: String(threads),
          "ms/call": s * 1e3,
          "GB/s": gbs,
          "ratio to triad": ratio,
          "ratio to triad in this run": gbs / triadHere,
          "GB/s by CPU time": k.bytes / cpu / 1e9,
          goal: ratio >= GOAL ? "ok" : "below 70%",
        });
      }
    }
    return {
      title: "Element-wise, norm, loss and optimizer kernels (memory-bound)",
      anchor: "STREAM triad: 21 GB/s on one core, 40 GB/s on two (perf-anchors.md); goal ratio >= 0.70",
      columns: [
        "kernel",
        "threads",
        "ms/call",
        "GB/s",
        "ratio to triad",
        "ratio to triad in this run",
        "GB/s by CPU time",
        "goal",
      ],
      rows,
      notes: [
        "GB/s counts the minimum bytes read + written once per call (fill: 4 B/elem, copy 8, triad 12, AdamW 28).",
        "Median of 9 calls after 2 warm-ups; 64 MB per array. The axpyF32 row is a triad measured in this",
        "run: 'ratio to triad in this run' divides by it, which stays meaningful on a busy machine.",
        "'GB/s by CPU time' divides by process CPU time per thread: the rate while the kernel ran.",
      ],
    };
  } finally {
    setNumThreads(threadsBefore);
    for (const buf of bufs) buf.free();
  }
}
