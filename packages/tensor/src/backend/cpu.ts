// The CPU backend on @neox/kernels: native counted allocations, zero-copy views for host transfer,
// and the addon's functions as kernels, looked up once by name (each typed launcher of
// src/kernels then keeps the function it got). CPU launches run synchronously on the kernels' own
// thread pool, so the stream is a placeholder and synchronize() is free.

import { alloc, allocStats, free, nativeFunction, view } from "@neox/kernels";
import type { Backend, KernelFn, Stream } from "./backend";

// Kernels the backend provides itself when the addon has no native version.
const BUILTIN: Record<string, KernelFn> = {
  /** memcpy(dst, src, bytes) */
  memcpy: (dst, src, bytes) => {
    const n = bytes as number;
    if (n > 0) new Uint8Array(view(dst as number, n)).set(new Uint8Array(view(src as number, n)));
  },
  /** memset0(dst, bytes) */
  memset0: (dst, bytes) => {
    const n = bytes as number;
    if (n > 0) new Uint8Array(view(dst as number, n)).fill(0);
  },
};

export function createCpuBackend(): Backend {
  const kernels = new Map<string, KernelFn>();
  const stream: Stream = { device: "cpu", handle: null };

  // The addon's function, else a builtin; else the loader's reason (what it tried, what to run).
  const lookup = (name: string): KernelFn | Error => {
    const known = kernels.get(name);
    if (known) return known;
    let fn: KernelFn;
    try {
      fn = nativeFunction<KernelFn>(name);
    } catch (error) {
      const builtin = BUILTIN[name];
      if (!builtin) return error instanceof Error ? error : new Error(String(error));
      fn = builtin;
    }
    kernels.set(name, fn);
    return fn;
  };

  return {
    device: "cpu",
    stream,
    allocate: (bytes) => alloc(bytes),
    free: (address) => free(address),
    write(dst, src) {
      if (src.byteLength === 0) return;
      new Uint8Array(view(dst, src.byteLength)).set(
        new Uint8Array(src.buffer, src.byteOffset, src.byteLength),
      );
    },
    read(src, dst) {
      if (dst.byteLength === 0) return;
      new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(
        new Uint8Array(view(src, dst.byteLength)),
      );
    },
    kernel(name) {
      const fn = lookup(name);
      if (fn instanceof Error) throw new Error(`cpu backend: no kernel "${name}": ${fn.message}`);
      return fn;
    },
    hasKernel: (name) => !(lookup(name) instanceof Error),
    synchronize() {},
    allocStats() {
      const s = allocStats();
      return { liveBytes: s.liveBytes, totalBytes: s.totalBytes, calls: s.calls };
    },
  };
}
