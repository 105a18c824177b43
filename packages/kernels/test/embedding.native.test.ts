// Embedding gather and scatter-add against the float64 reference under every ISA. Cases:
// test/cases/embedding.ts (its header says how to add one).
import { expect, it } from "vitest";
import { numThreads, setNumThreads } from "../src/index";
import * as ops from "../src/ops/embedding";
import * as ref from "../src/reference/embedding";
import { type EmbeddingCase, embeddingCases } from "./cases/embedding";
import { type BufferScope, f32, read, withBuffers } from "./helpers/buffers";
import { describeNative, expectClose, Rng } from "./helpers/native";
import { parityTable } from "./helpers/table";

function ids(rng: Rng, N: number, V: number): Int32Array {
  return Int32Array.from({ length: N }, () => Math.floor(rng.uniform() * V));
}

const runners: Record<string, (c: EmbeddingCase, rng: Rng, s: BufferScope) => void> = {
  embeddingForward: (c, rng, s) => {
    const { N, C, V } = c;
    const w = f32(rng.normalArray(V * C));
    const t = ids(rng, N, V);
    const out = s.empty(N * C);
    ops.embeddingForward(out.address, s.i32(t).address, s.f32(w).address, N, C, V);
    const want = new Float64Array(N * C);
    ref.embeddingForward(want, t, w, N, C, V);
    expectClose(read(out), want, c.tol!, `${c.op} ${c.name}`);
  },
  embeddingBackward: (c, rng, s) => {
    const { N, C, V } = c;
    const dout = f32(rng.normalArray(N * C));
    const dw0 = f32(rng.normalArray(V * C));
    const t = ids(rng, N, V);
    const dw = s.f32(dw0);
    ops.embeddingBackward(dw.address, s.f32(dout).address, s.i32(t).address, N, C, V);
    const want = Float64Array.from(dw0);
    ref.embeddingBackward(want, dout, t, N, C, V);
    expectClose(read(dw), want, c.tol!, `${c.op} ${c.name} dweight`);
  },
};

describeNative("embedding kernels match the float64 reference", () => {
  parityTable(embeddingCases, runners, 3000);

  it("the scatter-add is bit-identical for one and two threads (threads own columns)", () => {
    withBuffers((s) => {
      const rng = new Rng(78);
      const [N, C, V] = [4096, 256, 7];
      const dout = s.f32(rng.normalArray(N * C));
      const t = s.i32(ids(rng, N, V));
      const before = numThreads();
      const run = (threads: number) => {
        setNumThreads(threads);
        const dw = s.f32(new Float64Array(V * C));
        ops.embeddingBackward(dw.address, dout.address, t.address, N, C, V);
        return read(dw);
      };
      try {
        expect(run(2)).toEqual(run(1));
      } finally {
        setNumThreads(before);
      }
    });
  });

  it("rejects an id outside the table, naming its position, and writes nothing", () => {
    withBuffers((s) => {
      const out = s.f32([5, 5, 5, 5]);
      const w = s.f32([1, 2, 3, 4]);
      expect(() =>
        ops.embeddingForward(out.address, s.i32(Int32Array.of(1, 2)).address, w.address, 2, 2, 2),
      ).toThrow(/embeddingForward: token id 2 at position 1 is outside the table \[0, 2\)/);
      expect(Array.from(read(out))).toEqual([5, 5, 5, 5]);
      expect(() =>
        ops.embeddingBackward(w.address, out.address, s.i32(Int32Array.of(-1)).address, 1, 2, 2),
      ).toThrow(/token id -1 at position 0/);
    });
  });
});
