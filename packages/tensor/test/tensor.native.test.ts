// Tensors over native memory: host round trips per dtype, views sharing storage, deterministic
// freeing through scopes and dispose, and the allocation counters.
import { describe, expect, it } from "vitest";
import {
  allocStats,
  bf16ToFloat,
  floatToBf16,
  getBackend,
  keep,
  REQUIRED_KERNELS,
  scope,
  Tensor,
} from "../src/index";

describe("Tensor", () => {
  it("round-trips every dtype through native memory", () => {
    const f = Tensor.fromArray([1.5, -2, 3.25, 1e-3], [2, 2]);
    expect(Array.from(f.toFloat32Array())).toEqual([1.5, -2, 3.25, Math.fround(1e-3)]);
    const b = Tensor.fromArray([1.5, -2, 3.1], [3], { dtype: "bf16" });
    expect(Array.from(b.toFloat32Array())).toEqual([1.5, -2, bf16ToFloat(floatToBf16(3.1))]);
    expect(bf16ToFloat(floatToBf16(3.1))).not.toBe(Math.fround(3.1));
    const h = Tensor.fromArray([0.5, -65504, 1 / 3], [3], { dtype: "f16" });
    expect(Array.from(h.toFloat32Array())).toEqual([0.5, -65504, 0.333251953125]);
    const i = Tensor.fromArray([7, -9, 2147483647], [3], { dtype: "i32" });
    expect(Array.from(i.toHost() as Int32Array)).toEqual([7, -9, 2147483647]);
    const l = Tensor.fromArray([5, -6], [2], { dtype: "i64" });
    expect(Array.from(l.toHost() as BigInt64Array)).toEqual([5n, -6n]);
    const u = Tensor.fromArray([65535, 1], [2], { dtype: "u16" });
    expect(Array.from(u.toHost() as Uint16Array)).toEqual([65535, 1]);
    const c = Tensor.fromArray([255, 0], [2], { dtype: "u8" });
    expect(Array.from(c.toHost() as Uint8Array)).toEqual([255, 0]);
    for (const t of [f, b, h, i, l, u, c]) t.dispose();
  });

  it("rejects values that do not fill the shape, naming both", () => {
    expect(() => Tensor.fromArray([1, 2, 3], [2, 2])).toThrow(
      /3 values do not fill shape \[2, 2\] \(4 elements\)/,
    );
  });

  it("views share storage and read through strides", () => {
    const t = Tensor.fromArray([0, 1, 2, 3, 4, 5], [2, 3]);
    const tr = t.transpose(0, 1); // (3, 2)
    expect(tr.shape).toEqual([3, 2]);
    expect(tr.isContiguous).toBe(false);
    expect(Array.from(tr.toFloat32Array())).toEqual([0, 3, 1, 4, 2, 5]);
    const row = t.narrow(0, 1, 1);
    expect(Array.from(row.toFloat32Array())).toEqual([3, 4, 5]);
    const col = t.narrow(1, 1, 2);
    expect(Array.from(col.toFloat32Array())).toEqual([1, 2, 4, 5]);
    expect(Array.from(t.slice(1, 0, 2).toFloat32Array())).toEqual([0, 1, 3, 4]);
    const flat = t.view(-1);
    expect(flat.shape).toEqual([6]);
    row.write([9, 9, 9]);
    expect(Array.from(t.toFloat32Array())).toEqual([0, 1, 2, 9, 9, 9]);
    expect(() => tr.view(6)).toThrow(/not contiguous/);
    expect(() => t.view(4, -1)).toThrow(/cannot infer -1/);
    expect(() => t.narrow(1, 2, 2)).toThrow(/\[2, 4\) is outside dim 1 of size 3/);
    for (const x of [t, tr, row, col, flat]) x.dispose();
  });

  it("frees storage when its last holder is disposed, and only then", () => {
    const before = allocStats();
    const t = Tensor.empty([1024]);
    const v = t.view(32, 32);
    expect(allocStats().liveBytes).toBe(before.liveBytes + 4096);
    t.dispose();
    expect(allocStats().liveBytes).toBe(before.liveBytes + 4096);
    v.dispose();
    expect(allocStats().liveBytes).toBe(before.liveBytes);
    expect(allocStats().calls).toBe(before.calls + 1);
    expect(() => t.address).toThrow(/used after dispose/);
  });

  it("scope frees what it created except what it returns or keeps", () => {
    const before = allocStats().liveBytes;
    let kept: Tensor | null = null;
    const out = scope(() => {
      Tensor.empty([100]);
      kept = keep(Tensor.empty([10]));
      const inner = scope(() => ({ a: Tensor.empty([5]), junk: 3 }));
      return [inner.a, Tensor.empty([7])];
    });
    // 10 (kept) + 5 + 7 floats remain, 100 freed.
    expect(allocStats().liveBytes - before).toBe((10 + 5 + 7) * 4);
    for (const t of out) t.dispose();
    kept!.dispose();
    expect(allocStats().liveBytes).toBe(before);
  });

  it("scope frees everything when its function throws", () => {
    const before = allocStats().liveBytes;
    expect(() =>
      scope(() => {
        Tensor.empty([64]);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(allocStats().liveBytes).toBe(before);
  });

  it("the CPU backend provides every kernel the tape and plans rely on", () => {
    const cpu = getBackend("cpu");
    expect(REQUIRED_KERNELS.filter((k) => !cpu.hasKernel(k))).toEqual([]);
    expect(() => cpu.kernel("noSuchKernel")).toThrow(/no kernel "noSuchKernel".*build:native/);
  });
});
