// The cost of one op call through the binding (JS -> Node-API -> C++ -> back) for calls that do
// no work, so only the crossing is measured. Goal: under 2 µs per op call.
import { castF32ToF16, gemm, NativeBuffer, native, nativeFunction } from "../../src/index";
import type { Section } from "../kernels";

const GOAL_NS = 2000;

function nsPerCall(fn: () => void, calls = 200_000): number {
  for (let i = 0; i < 10_000; i++) fn(); // warm up the JIT
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / calls);
  }
  return best;
}

export async function run(): Promise<Section> {
  const buf = new NativeBuffer(64);
  const a = buf.address;
  const addon = native();
  const rawCast = nativeFunction<(o: number, i: number, n: number) => void>("castF32ToF16");
  try {
    const cases: [string, () => void][] = [
      ["numThreads() (no arguments)", () => addon.numThreads()],
      ["castF32ToF16 n=0, raw addon function (3 args)", () => rawCast(a, a, 0)],
      ["castF32ToF16 n=0 via the TS wrapper", () => castF32ToF16(a, a, 0)],
      [
        "sgemm M=N=K=0 via the TS wrapper (13 args)",
        () => gemm(false, false, 0, 0, 0, 1, a, 1, a, 1, 0, a, 1),
      ],
      ["sgemm 1×1×1 via the TS wrapper", () => gemm(false, false, 1, 1, 1, 1, a, 1, a, 1, 0, a, 1)],
    ];
    const rows = cases.map(([what, fn]) => {
      const ns = nsPerCall(fn);
      return { call: what, "ns/call": ns, "ratio to 2 µs goal": ns / GOAL_NS };
    });
    return {
      title: "Op call cost through the binding",
      anchor: "goal: under 2 µs (2000 ns) per op call; ratio < 1 meets it",
      columns: ["call", "ns/call", "ratio to 2 µs goal"],
      rows,
    };
  } finally {
    buf.free();
  }
}
