// The device interface every tensor operation goes through. The CPU backend implements it on
// @neox/kernels; a CUDA backend implements the same surface with device memory, asynchronous
// launches on streams and graph capture for plans, so nothing above this file knows the device.

export type Device = "cpu" | `cuda:${number}`;

/** An execution queue. Opaque above the backend: CPU work is synchronous, CUDA work is queued. */
export interface Stream {
  readonly device: Device;
  readonly handle: unknown;
}

/**
 * A native kernel launch function. It takes device addresses and sizes as plain numbers
 * (addresses are exact below 2^53), flags as booleans, and lists of numbers for multi-tensor
 * kernels; it copies no tensor data.
 */
export type KernelArg = number | boolean | readonly number[];
export type KernelFn = (...args: KernelArg[]) => unknown;

export interface AllocStats {
  /** Bytes currently allocated. */
  liveBytes: number;
  /** Bytes allocated since the process started. */
  totalBytes: number;
  /** Allocation calls since the process started. */
  calls: number;
}

/**
 * Kernels every backend provides beside its op kernels: the copies and fills the tape and plans
 * need. They are kernels rather than methods so that plans record and replay them like any op.
 *   memcpy(dst, src, bytes)   memset0(dst, bytes)   fillF32(dst, value, n)
 *   copyF32(dst, src, n)      copyStridedF32(dst, src, D0, D1, D2, D3, s0, s1, s2, s3)
 *   castF32ToBf16(dst, src, n)   castBf16ToF32(dst, src, n)
 *   castF32ToF16(dst, src, n)    castF16ToF32(dst, src, n)
 */
export const REQUIRED_KERNELS = [
  "memcpy",
  "memset0",
  "fillF32",
  "copyF32",
  "copyStridedF32",
  "castF32ToBf16",
  "castBf16ToF32",
  "castF32ToF16",
  "castF16ToF32",
] as const;

export interface Backend {
  readonly device: Device;
  /** Allocate `bytes` of device memory (64-byte aligned); returns its address. */
  allocate(bytes: number): number;
  free(address: number): void;
  /** Host -> device, complete when it returns. */
  write(dst: number, src: ArrayBufferView): void;
  /** Device -> host; waits for queued work on the stream first. */
  read(src: number, dst: ArrayBufferView): void;
  /** The launch function of a named kernel on this device; throws naming the kernel when absent. */
  kernel(name: string): KernelFn;
  hasKernel(name: string): boolean;
  /** The stream launches currently go to. */
  readonly stream: Stream;
  /** Wait until every launch queued so far has finished. */
  synchronize(): void;
  /** Process-wide native allocation counters of this device. */
  allocStats(): AllocStats;
}
