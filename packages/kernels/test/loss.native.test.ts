// Fused softmax cross-entropy against the float64 reference under every ISA. Cases:
// test/cases/loss.ts (its header says how to add one).
import { expect, it } from "vitest";
import { withIsa } from "../src/index";
import * as ops from "../src/ops/loss";
import * as ref from "../src/reference/cross-entropy";
import { type LossCase, lossCases } from "./cases/loss";
import { type BufferScope, f32, read, withBuffers } from "./helpers/buffers";
import { describeNative, expectClose, isas, type Rng } from "./helpers/native";
import { parityTable } from "./helpers/table";

function data(c: LossCase, rng: Rng) {
  const { N, V } = c;
  const logits = f32(rng.normalArray(N * V, 3));
  const targets = Int32Array.from({ length: N }, () => Math.floor(rng.uniform() * V));
  let mask: Float64Array | null = null;
  if (c.mask === "binary") {
    mask = Float64Array.from({ length: N }, () => (rng.uniform() < 0.7 ? 1 : 0));
    for (let n = 0; n < N; n += 3) targets[n] = -1; // ignored rows
    if (N > 1) mask[N - 1] = 1; // keep at least one row
    if (N > 1) targets[N - 1] = Math.min(V - 1, 2);
  } else if (c.mask === "fractional") {
    mask = f32(Float64Array.from({ length: N }, () => rng.uniform()));
  } else if (c.mask === "empty") {
    mask = new Float64Array(N);
  }
  return { logits, targets, mask };
}

const runners: Record<string, (c: LossCase, rng: Rng, s: BufferScope) => void> = {
  crossEntropyForward: (c, rng, s) => {
    const { N, V } = c;
    const { logits, targets, mask } = data(c, rng);
    const [loss, losses, lse] = [s.empty(1), s.empty(N), s.empty(N)];
    ops.crossEntropyForward(
      loss.address,
      losses.address,
      lse.address,
      s.f32(logits).address,
      s.i32(targets).address,
      mask ? s.f32(mask).address : 0,
      N,
      V,
    );
    const [wl, wlse] = [new Float64Array(N), new Float64Array(N)];
    const want = ref.crossEntropyForward(wl, wlse, logits, targets, mask, N, V);
    expectClose(read(loss), [want], c.tol!, `${c.op} ${c.name} loss`);
    expectClose(read(losses), wl, c.tol!, `${c.op} ${c.name} losses`);
    expectClose(read(lse), wlse, c.tol!, `${c.op} ${c.name} lse`);
  },
  crossEntropyBackward: (c, rng, s) => {
    const { N, V } = c;
    const { logits, targets, mask } = data(c, rng);
    const nl = s.f32(logits);
    const [loss, lse] = [s.empty(1), s.empty(N)];
    const nt = s.i32(targets);
    const nm = mask ? s.f32(mask).address : 0;
    ops.crossEntropyForward(loss.address, 0, lse.address, nl.address, nt.address, nm, N, V);
    const dlogits = c.inPlace ? nl : s.empty(N * V);
    ops.crossEntropyBackward(
      dlogits.address,
      nl.address,
      lse.address,
      nt.address,
      nm,
      s.f32([0.75]).address,
      N,
      V,
    );
    const wlse = new Float64Array(N);
    ref.crossEntropyForward(null, wlse, logits, targets, mask, N, V);
    const want = new Float64Array(N * V);
    ref.crossEntropyBackward(want, logits, wlse, targets, mask, 0.75, N, V);
    // Softmax terms are relative to the row: scale the absolute tolerance by the row weight.
    expectClose(read(dlogits), want, c.tol!, `${c.op} ${c.name} dlogits`);
  },
  crossEntropyFused: (c, rng, s) => {
    const { N, V } = c;
    const { logits, targets, mask } = data(c, rng);
    const nl = s.f32(logits);
    const [loss, losses] = [s.empty(1), s.empty(N)];
    const dlogits = c.inPlace ? nl : s.empty(N * V);
    ops.crossEntropyFused(
      loss.address,
      losses.address,
      dlogits.address,
      nl.address,
      s.i32(targets).address,
      mask ? s.f32(mask).address : 0,
      s.f32([1.25]).address,
      N,
      V,
    );
    const [wl, wd] = [new Float64Array(N), new Float64Array(N * V)];
    const want = ref.crossEntropyFused(wl, wd, logits, targets, mask, 1.25, N, V);
    expectClose(read(loss), [want], c.tol!, `${c.op} ${c.name} loss`);
    expectClose(read(losses), wl, c.tol!, `${c.op} ${c.name} losses`);
    expectClose(read(dlogits), wd, c.tol!, `${c.op} ${c.name} dlogits`);
  },
};

describeNative("cross-entropy kernels match the float64 reference", () => {
  parityTable(lossCases, runners, 4000);

  it("a NaN logit makes its row's loss and gradient NaN on every ISA (overflow checks see it)", () => {
    for (const isa of isas()) {
      withIsa(isa, () =>
        withBuffers((s) => {
          const [N, V] = [2, 40];
          const x = new Float64Array(N * V).fill(0.1);
          x[V + 17] = Number.NaN;
          const [loss, losses, d] = [s.empty(1), s.empty(N), s.empty(N * V)];
          const logits = s.f32(x);
          ops.crossEntropyFused(
            loss.address,
            losses.address,
            d.address,
            logits.address,
            s.i32(Int32Array.of(3, 5)).address,
            0,
            s.f32([1]).address,
            N,
            V,
          );
          expect(Number.isNaN(read(loss)[0]!), `${isa} loss`).toBe(true);
          expect(Number.isNaN(read(losses)[0]!), `${isa} clean row`).toBe(false);
          expect(Number.isNaN(read(d)[V + 3]!), `${isa} dlogits of the NaN row`).toBe(true);
        }),
      );
    }
  });

  it("rejects a target >= V naming the row", () => {
    withBuffers((s) => {
      const logits = s.f32([0, 1, 2, 3]);
      const loss = s.empty(1);
      expect(() =>
        ops.crossEntropyForward(
          loss.address,
          0,
          0,
          logits.address,
          s.i32(Int32Array.of(0, 2)).address,
          0,
          2,
          2,
        ),
      ).toThrow(/crossEntropyForward: target 2 at row 1 is outside the vocabulary \[0, 2\)/);
    });
  });
});
