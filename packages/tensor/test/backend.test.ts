// Nothing above the Backend interface assumes the CPU: tensors, scopes, the tape and plans run on a
// test-double device whose memory lives in the JS heap and whose kernels are written in
// TypeScript. (A CUDA backend slots in the same way: registerBackend() for "cuda:N".)
import { describe, expect, it } from "vitest";
import {
  add,
  type Backend,
  backward,
  defaultDevice,
  fill,
  full,
  type KernelArg,
  type KernelFn,
  Plan,
  parseDevice,
  registerBackend,
  scale,
  scope,
  setDefaultDevice,
  Tensor,
} from "../src/index";

function fakeDevice(): Backend & { allocations: number; live: number } {
  const blocks = new Map<number, Uint8Array>();
  let next = 4096;
  const stats = { calls: 0, totalBytes: 0, liveBytes: 0 };
  const at = (address: number, bytes: number): Uint8Array => {
    for (const [base, mem] of blocks) {
      if (address >= base && address + bytes <= base + mem.length)
        return mem.subarray(address - base, address - base + bytes);
    }
    throw new Error(`fake device: [${address}, +${bytes}) is not allocated`);
  };
  const f32 = (address: KernelArg, n: KernelArg) => {
    const u8 = at(address as number, (n as number) * 4);
    return new Float32Array(u8.buffer, u8.byteOffset, n as number);
  };
  const kernels: Record<string, KernelFn> = {
    fillF32: (dst, value, n) => void f32(dst, n).fill(value as number),
    residualForward: (out, a, b, n) => {
      const [o, x, y] = [f32(out, n), f32(a, n), f32(b, n)];
      for (let i = 0; i < o.length; i++) o[i] = x[i]! + y[i]!;
    },
    scaleF32: (out, inp, alpha, n) => {
      const [o, x] = [f32(out, n), f32(inp, n)];
      for (let i = 0; i < o.length; i++) o[i] = (alpha as number) * x[i]!;
    },
    axpyF32: (out, a, b, alpha, n) => {
      const [o, x, y] = [f32(out, n), f32(a, n), f32(b, n)];
      for (let i = 0; i < o.length; i++) o[i] = x[i]! + (alpha as number) * y[i]!;
    },
    copyF32: (out, inp, n) => void f32(out, n).set(f32(inp, n)),
  };
  const device: Backend & { allocations: number; live: number } = {
    device: "cuda:7",
    stream: { device: "cuda:7", handle: "stream-0" },
    allocations: 0,
    live: 0,
    allocate(bytes) {
      const base = next;
      next += Math.ceil(bytes / 64) * 64 + 64;
      blocks.set(base, new Uint8Array(bytes));
      stats.calls++;
      stats.totalBytes += bytes;
      stats.liveBytes += bytes;
      device.allocations++;
      device.live++;
      return base;
    },
    free(address) {
      const mem = blocks.get(address);
      if (!mem) throw new Error(`fake device: free of unknown address ${address}`);
      stats.liveBytes -= mem.length;
      blocks.delete(address);
      device.live--;
    },
    write: (dst, src) =>
      at(dst, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength)),
    read: (src, dst) =>
      new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(at(src, dst.byteLength)),
    kernel(name) {
      const fn = kernels[name];
      if (!fn) throw new Error(`fake device: no kernel ${name}`);
      return fn;
    },
    hasKernel: (name) => name in kernels,
    synchronize() {},
    allocStats: () => ({ ...stats }),
  };
  return device;
}

describe("a second backend", () => {
  it("runs tensors, scopes, the tape and a plan without touching the CPU backend", () => {
    const dev = fakeDevice();
    registerBackend(dev);
    const x = Tensor.fromArray([1, 2, 3], [3], { device: "cuda:7" }).requireGrad();
    expect(x.device).toBe("cuda:7");
    const r = Tensor.fromArray([1, 1, 1], [3], { device: "cuda:7" });
    scope(() => backward(add(x, scale(x, 2)), r));
    expect(Array.from(x.grad!.toFloat32Array())).toEqual([3, 3, 3]);

    const out = Tensor.empty([3], { device: "cuda:7" });
    const { plan, result } = Plan.record(() => scope(() => fill(out, 0) && add(scale(x, 10), x)));
    expect(Array.from(result.toFloat32Array())).toEqual([11, 22, 33]);
    const y = plan.tensor(result);
    result.dispose();
    x.write([4, 5, 6]);
    const before = dev.allocations;
    plan.run();
    expect(dev.allocations).toBe(before);
    expect(Array.from(y.toFloat32Array())).toEqual([44, 55, 66]);
    for (const t of [y, out, x.grad!, x, r]) t.dispose();
    plan.dispose();
    expect(dev.live).toBe(0);
  });

  it("the default device: what is made from nothing lands there, ops follow their inputs", () => {
    const dev = fakeDevice();
    registerBackend(dev);
    expect(defaultDevice()).toBe("cpu");
    const prev = setDefaultDevice("cuda:7");
    try {
      expect(prev).toBe("cpu");
      const a = Tensor.fromArray([1, 2], [2]);
      const b = full([2], 3);
      const c = Tensor.empty([4]);
      expect([a.device, b.device, c.device]).toEqual(["cuda:7", "cuda:7", "cuda:7"]);
      const s = add(a, b);
      expect(s.device).toBe("cuda:7");
      expect(Array.from(s.toFloat32Array())).toEqual([4, 5]);
      // a device named explicitly still wins
      const h = Tensor.empty([1], { device: "cpu" });
      expect(h.device).toBe("cpu");
      for (const t of [a, b, c, s, h]) t.dispose();
    } finally {
      setDefaultDevice(prev);
    }
    expect(defaultDevice()).toBe("cpu");
    expect(dev.live).toBe(0);
  });

  it("a device that cannot open is refused when chosen, and the default stays", () => {
    expect(() => setDefaultDevice("cuda:99")).toThrow(/cuda/i);
    expect(defaultDevice()).toBe("cpu");
  });

  it("parses the devices users name", () => {
    expect(parseDevice("cpu")).toBe("cpu");
    expect(parseDevice("CUDA")).toBe("cuda:0");
    expect(parseDevice("cuda:2")).toBe("cuda:2");
    expect(() => parseDevice("tpu", "--device")).toThrow(
      '--device: "tpu" is not a device; expected cpu, cuda or cuda:N',
    );
  });
});
