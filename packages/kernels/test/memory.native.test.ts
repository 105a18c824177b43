// Native memory: counters, alignment, zero-copy views, error messages; runtime queries.
import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import {
  addonCandidates,
  alloc,
  allocStats,
  free,
  isa,
  NativeBuffer,
  numThreads,
  residentBytes,
  setIsa,
  setNumThreads,
  supportedIsas,
  view,
  viewF32,
  withIsa,
} from "../src/index";
import { describeNative } from "./helpers/native";

describeNative("native memory", () => {
  it("counts bytes and calls of every allocation and release", () => {
    const before = allocStats();
    const a = alloc(1000);
    const b = alloc(24);
    const mid = allocStats();
    expect(mid.liveBytes - before.liveBytes).toBe(1024);
    expect(mid.totalBytes - before.totalBytes).toBe(1024);
    expect(mid.calls - before.calls).toBe(2);
    expect(mid.liveCount - before.liveCount).toBe(2);
    free(a);
    free(b);
    const after = allocStats();
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.liveCount).toBe(before.liveCount);
    expect(after.totalBytes - before.totalBytes).toBe(1024);
    expect(after.calls - before.calls).toBe(2);
  });

  it("returns 64-byte aligned addresses, also for 0 bytes", () => {
    const addrs = [0, 1, 63, 64, 65, 4096].map((n) => alloc(n));
    for (const a of addrs) {
      expect(a % 64).toBe(0);
      expect(a).toBeGreaterThan(0);
    }
    expect(new Set(addrs).size).toBe(addrs.length);
    for (const a of addrs) free(a);
  });

  it("views are zero-copy and see each other's writes", () => {
    const a = alloc(64);
    const v1 = viewF32(a, 16);
    const v2 = new Float32Array(view(a, 64));
    v1[3] = 2.5;
    expect(v2[3]).toBe(2.5);
    // A view at an offset (an interior address) sees the same memory.
    const inner = viewF32(a + 12, 1);
    expect(inner[0]).toBe(2.5);
    inner[0] = -1;
    expect(v1[3]).toBe(-1);
    expect(view(a, 0).byteLength).toBe(0);
    free(a);
  });

  it("rejects bad arguments with the function name and position", () => {
    expect(() => alloc(-1)).toThrow(/alloc: argument 0 must be >= 0/);
    expect(() => alloc(1.5)).toThrow(/alloc: argument 0 must be an integer/);
    expect(() => view(-8, 4)).toThrow(/view: argument 0 must be an address/);
    expect(() => (alloc as (x: unknown) => number)("12")).toThrow(/alloc: argument 0 must be a number/);
    const a = alloc(8);
    expect(() => free(a + 64)).toThrow(/free: address was not allocated by neox alloc/);
    free(a);
  });

  it("residentBytes counts the pages written (mincore), not the ones only allocated", () => {
    const bytes = 64 << 20;
    const a = alloc(bytes);
    try {
      const before = residentBytes(a, bytes);
      viewF32(a, bytes / 4 / 2).fill(1); // the first half
      const after = residentBytes(a, bytes);
      expect(after - before).toBeGreaterThanOrEqual(bytes / 2 - (4 << 20));
      expect(after).toBeLessThanOrEqual(bytes);
      expect(before).toBeLessThan(bytes / 4);
      expect(residentBytes(a, 0)).toBe(0);
    } finally {
      free(a);
    }
  });

  it("NativeBuffer owns its memory and refuses use after free", () => {
    const before = allocStats().liveBytes;
    const buf = new NativeBuffer(10, "bf16");
    expect(buf.bytes).toBe(20);
    expect(allocStats().liveBytes - before).toBe(20);
    buf.u16()[9] = 0x3f80;
    expect(buf.u16()[9]).toBe(0x3f80);
    expect(() => buf.f32()).toThrow(/dtype is bf16/);
    buf.free();
    buf.free(); // idempotent
    expect(allocStats().liveBytes).toBe(before);
    expect(() => buf.u16()).toThrow(/used after free/);
  });
});

describeNative("native runtime", () => {
  it("lists the supported ISAs best first, ending with scalar, and switches between them", () => {
    const list = supportedIsas();
    expect(list[list.length - 1]).toBe("scalar");
    expect(list).toContain(isa());
    for (const name of list) expect(withIsa(name, () => isa())).toBe(name);
    expect(() => setIsa("sse9" as never)).toThrow(/setIsa: argument 0 must be avx512, avx2 or scalar/);
  });

  it("sets the thread count and rejects nonsense", () => {
    const before = numThreads();
    setNumThreads(3);
    expect(numThreads()).toBe(3);
    setNumThreads(before);
    expect(numThreads()).toBe(before);
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: argument 0 must be a thread count/);
  });
});

/** Loads the addon in a fresh process with `env` and prints isa()/numThreads() or the load error. */
function loadWith(env: Record<string, string>): string {
  const path = addonCandidates().find((p) => p.includes("Release"))!;
  const code = `try { const m = require(${JSON.stringify(path)}); console.log(m.isa() + " " + m.numThreads()); } catch (e) { console.log("error: " + e.message); }`;
  return execFileSync(process.execPath, ["-e", code], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  }).trim();
}

describeNative("environment at load", () => {
  it("a missing addon fails with what was tried and what to run", () => {
    const loader = new URL("../src/loader.ts", import.meta.url).pathname;
    const code = `import(${JSON.stringify(loader)}).then((m) => { try { m.native(); } catch (e) { console.log(e.message); } })`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "-e", code], {
      env: { ...process.env, NEOX_KERNELS_ADDON: "/nonexistent/neox_kernels.node" },
      encoding: "utf8",
    }).trim();
    expect(out).toBe(
      `no native kernels for ${process.platform}-${process.arch}: tried /nonexistent/neox_kernels.node (missing). ` +
        "Run `pnpm --filter @neox/kernels build:native`.",
    );
  });

  it("NEOX_ISA and NEOX_NUM_THREADS choose the path and the pool size", () => {
    expect(loadWith({ NEOX_ISA: "scalar", NEOX_NUM_THREADS: "3" })).toBe("scalar 3");
    if (supportedIsas().includes("avx2")) expect(loadWith({ NEOX_ISA: "AVX2" })).toMatch(/^avx2 /);
  });

  it("bad values fail the load, naming the variable and what was expected", () => {
    expect(loadWith({ NEOX_ISA: "sse9" })).toBe(
      "error: NEOX_ISA=sse9 is not an ISA: expected avx512, avx2 or scalar",
    );
    expect(loadWith({ NEOX_NUM_THREADS: "zero" })).toMatch(
      /^error: NEOX_NUM_THREADS=zero is not a thread count/,
    );
    if (!supportedIsas().includes("avx512")) {
      expect(loadWith({ NEOX_ISA: "avx512" })).toMatch(
        /^error: NEOX_ISA=avx512 is not supported by this CPU/,
      );
    }
  });
});
