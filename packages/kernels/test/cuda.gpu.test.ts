// The CUDA library on a device (skipped, with the reason printed, where loadCuda() finds none):
// device info, the caching allocator's counters, host <-> device copies, streams and events, and
// the element-wise kernels against values computed here in TypeScript.
import { expect, it } from "vitest";
import { type Cuda, CudaUnavailableError, loadCuda, referenceConvert } from "../src/index";
import { describeNative } from "./helpers/native";

let cuda: Cuda | undefined;
try {
  cuda = loadCuda();
} catch (error) {
  if (!(error instanceof CudaUnavailableError)) throw error;
  console.warn(`skipping the CUDA device tests: ${error.message}`);
}

describeNative.runIf(cuda !== undefined)("CUDA library on a device", () => {
  const gpu = () => cuda!.native;
  const upload = (data: Float32Array) => {
    const p = gpu().gpuMalloc(data.byteLength);
    gpu().gpuWrite(p, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return p;
  };
  const download = (p: number, n: number) => {
    const out = new Float32Array(n);
    gpu().gpuRead(p, new Uint8Array(out.buffer));
    return out;
  };

  it("reports each device's compute capability and memory", () => {
    for (const d of cuda!.devices) {
      expect(d.major).toBeGreaterThanOrEqual(8);
      expect(d.totalMemory).toBeGreaterThan(1 << 30);
    }
  });

  it("serves a freed block again from the cache without cudaMalloc", () => {
    const before = gpu().gpuAllocStats(0);
    const a = gpu().gpuMalloc(1000);
    gpu().gpuFree(a);
    const b = gpu().gpuMalloc(1000);
    const after = gpu().gpuAllocStats(0);
    expect(b).toBe(a);
    expect(after.requests - before.requests).toBe(2);
    expect(after.deviceAllocs - before.deviceAllocs).toBeLessThanOrEqual(1);
    expect(after.allocatedBytes - before.allocatedBytes).toBe(1024);
    gpu().gpuFree(b);
  });

  it("fills, copies, adds and runs axpy at odd sizes", () => {
    for (const n of [1, 3, 17, 1029]) {
      const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
      const y = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
      const px = upload(x);
      const py = upload(y);
      const out = gpu().gpuMalloc(4 * n);
      gpu().gpuFillF32(out, 2.5, n);
      expect(download(out, n)).toEqual(new Float32Array(n).fill(2.5));
      gpu().gpuCopyF32(out, px, n);
      expect(download(out, n)).toEqual(x);
      gpu().gpuAddF32(out, px, py, n);
      expect(download(out, n)).toEqual(Float32Array.from(x, (v, i) => v + y[i]!));
      gpu().gpuAxpyF32(py, -0.5, px, n);
      // fmaf rounds once: compare with the exact product-sum rounded to f32.
      expect(download(py, n)).toEqual(Float32Array.from(y, (v, i) => Math.fround(v + -0.5 * x[i]!)));
      for (const p of [px, py, out]) gpu().gpuFree(p);
    }
  });

  it("casts f32 to bf16 with round to nearest even, and back exactly", () => {
    const x = Float32Array.from([0, 1, -1.00390625, 1.0078125, Math.PI, 1e-40, -65504.5, Number.NaN]);
    const px = upload(x);
    const pb = gpu().gpuMalloc(2 * x.length);
    gpu().gpuCastF32ToBf16(pb, px, x.length);
    const bits = new Uint16Array(x.length);
    gpu().gpuRead(pb, new Uint8Array(bits.buffer));
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i]!)) expect((bits[i]! & 0x7f80) === 0x7f80 && (bits[i]! & 0x7f) !== 0).toBe(true);
      else expect(bits[i]).toBe(referenceConvert.f64ToBf16(x[i]!));
    }
    gpu().gpuCastBf16ToF32(px, pb, x.length);
    const back = download(px, x.length);
    for (let i = 0; i < x.length - 1; i++) expect(back[i]).toBe(referenceConvert.bf16ToF64(bits[i]!));
    gpu().gpuFree(px);
    gpu().gpuFree(pb);
  });

  it("orders work across streams with events and times it", () => {
    const s1 = gpu().gpuStreamCreate();
    const s2 = gpu().gpuStreamCreate();
    const start = gpu().gpuEventCreate(true);
    const done = gpu().gpuEventCreate(true);
    const n = 1 << 20;
    const p = gpu().gpuMalloc(4 * n, s1);
    gpu().gpuEventRecord(start, s1);
    gpu().gpuFillF32(p, 7, n, s1);
    gpu().gpuEventRecord(done, s1);
    gpu().gpuStreamWaitEvent(s2, done);
    gpu().gpuAxpyF32(p, 1, p, n, s2); // 7 + 7, only after the fill
    gpu().gpuStreamSynchronize(s2);
    expect(download(p, 4)).toEqual(new Float32Array(4).fill(14));
    expect(gpu().gpuEventElapsedMs(start, done)).toBeGreaterThanOrEqual(0);
    gpu().gpuFree(p);
    for (const e of [start, done]) gpu().gpuEventDestroy(e);
    for (const s of [s1, s2]) gpu().gpuStreamDestroy(s);
  });
});
