// The CUDA backend on @neox/kernels' GPU library (libneox_gpu.so): device memory from the caching
// allocator, host transfers, one stream per backend, and the kernels the library has: the copies
// below, and every op kernel the library lists (gpuOps, kernels/gpu/ops.h), launched by the CPU
// kernel's name with its arguments unchanged. Kernels the library does not have throw "not
// implemented on cuda yet" naming the kernel, so a model fails on its first missing op rather
// than computing on the wrong device.

import { type Cuda, loadCuda, parseGpuOpSignature } from "@neox/kernels";
import type { Backend, KernelFn, Stream } from "./backend";

/** The device index of "cuda:N"; throws for anything else. */
export function cudaDeviceIndex(device: string): number {
  const m = /^cuda:(\d+)$/.exec(device);
  if (!m) throw new Error(`"${device}" is not a CUDA device: expected "cuda:N" with N a device index`);
  return Number(m[1]);
}

// Each GPU kernel with the argument order of the CPU kernel of the same name (backend.ts), queued
// on the backend's stream.
function gpuKernels(cuda: Cuda, stream: number): Record<string, KernelFn> {
  const g = cuda.native;
  return {
    /** memcpy(dst, src, bytes) */
    memcpy: (dst, src, bytes) => g.gpuCopy(dst as number, src as number, bytes as number, stream),
    /** memset0(dst, bytes) */
    memset0: (dst, bytes) => g.gpuMemset(dst as number, 0, bytes as number, stream),
    /** fillF32(dst, value, n) */
    fillF32: (dst, value, n) => g.gpuFillF32(dst as number, value as number, n as number, stream),
    /** copyF32(dst, src, n) */
    copyF32: (dst, src, n) => g.gpuCopyF32(dst as number, src as number, n as number, stream),
    /** castF32ToBf16(dst, src, n) */
    castF32ToBf16: (dst, src, n) => g.gpuCastF32ToBf16(dst as number, src as number, n as number, stream),
    /** castBf16ToF32(dst, src, n) */
    castBf16ToF32: (dst, src, n) => g.gpuCastBf16ToF32(dst as number, src as number, n as number, stream),
  };
}

// The library's op kernels by name: each passes its arguments through to gpuLaunch, which checks
// them against the op's signature in the library (count, kinds, non-null addresses).
function gpuOpKernels(cuda: Cuda, stream: number): Record<string, KernelFn> {
  const g = cuda.native;
  const out: Record<string, KernelFn> = {};
  for (const signature of g.gpuOps()) {
    const { name } = parseGpuOpSignature(signature);
    out[name] = (...args) => g.gpuLaunch(name, stream, args);
  }
  return out;
}

/**
 * A backend for "cuda:N". Throws CudaUnavailableError (from loadCuda) when CUDA cannot be used
 * here, naming the library paths tried and the driver, or an error when device N does not exist.
 */
export function createCudaBackend(device: `cuda:${number}`): Backend {
  const index = cudaDeviceIndex(device);
  const cuda = loadCuda();
  if (index >= cuda.devices.length) {
    const names = cuda.devices.map((d) => `cuda:${d.index} (${d.name})`).join(", ");
    throw new Error(`no CUDA device ${device}: this machine has ${cuda.devices.length}: ${names}`);
  }
  const g = cuda.native;
  // Every call selects the device first: several backends may share the process.
  const use = () => g.gpuSetDevice(index);
  use();
  const handle = g.gpuStreamCreate();
  const stream: Stream = { device, handle };
  // The copies and casts above take precedence over an op of the same name.
  const kernels = { ...gpuOpKernels(cuda, handle), ...gpuKernels(cuda, handle) };
  const bytesOf = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

  return {
    device,
    stream,
    allocate(bytes) {
      use();
      return g.gpuMalloc(bytes, handle);
    },
    free: (address) => g.gpuFree(address),
    write(dst, src) {
      if (src.byteLength === 0) return;
      use();
      // The copy runs on the default stream: first let queued work that may read dst finish.
      g.gpuStreamSynchronize(handle);
      g.gpuWrite(dst, bytesOf(src));
    },
    read(src, dst) {
      if (dst.byteLength === 0) return;
      use();
      g.gpuStreamSynchronize(handle);
      g.gpuRead(src, bytesOf(dst));
    },
    kernel(name) {
      const fn = kernels[name];
      if (!fn) throw new Error(`cuda backend: kernel "${name}" is not implemented on cuda yet`);
      return (...args) => {
        use();
        return fn(...args);
      };
    },
    hasKernel: (name) => name in kernels,
    synchronize() {
      use();
      g.gpuStreamSynchronize(handle);
    },
    allocStats() {
      const s = g.gpuAllocStats(index);
      return { liveBytes: s.allocatedBytes, totalBytes: s.totalBytes, calls: s.requests };
    },
  };
}
