// Native memory addressed by JS numbers (the pointer value, exact below 2^53). Memory is owned
// explicitly: whoever calls alloc() calls free(); views borrow it and must not outlive it.
import { native } from "./loader";

export interface AllocStats {
  /** Requested bytes currently allocated. */
  liveBytes: number;
  /** Requested bytes over the process lifetime. */
  totalBytes: number;
  /** Allocation calls over the process lifetime. */
  calls: number;
  /** Allocations not yet freed. */
  liveCount: number;
}

/** 64-byte aligned native memory (uninitialised); returns its address. */
export function alloc(bytes: number): number {
  return native().alloc(bytes);
}

export function free(address: number): void {
  native().free(address);
}

/** A zero-copy ArrayBuffer over [address, address + bytes); it does not own the memory. */
export function view(address: number, bytes: number): ArrayBuffer {
  return native().view(address, bytes);
}

export function viewF32(address: number, count: number): Float32Array {
  return new Float32Array(native().view(address, count * 4));
}

/** bf16 / fp16 values as their raw 16-bit patterns. */
export function viewU16(address: number, count: number): Uint16Array {
  return new Uint16Array(native().view(address, count * 2));
}

export function allocStats(): AllocStats {
  return native().allocStats();
}

/**
 * Bytes of the whole pages in [address, address + bytes) backed by memory now (mincore): pages
 * never written, or handed back with MADV_DONTNEED, are not.
 */
export function residentBytes(address: number, bytes: number): number {
  return native().residentBytes(address, bytes);
}

/** Element sizes of the dtypes native kernels take. */
export const DTYPE_BYTES = { f32: 4, bf16: 2, f16: 2 } as const;
export type Dtype = keyof typeof DTYPE_BYTES;

/**
 * An owned native buffer of `count` elements. Call free() (or use `using`-style try/finally);
 * nothing frees it behind your back.
 */
export class NativeBuffer {
  readonly address: number;
  readonly count: number;
  readonly dtype: Dtype;
  #freed = false;

  constructor(count: number, dtype: Dtype = "f32") {
    this.count = count;
    this.dtype = dtype;
    this.address = alloc(count * DTYPE_BYTES[dtype]);
  }

  get bytes(): number {
    return this.count * DTYPE_BYTES[this.dtype];
  }

  /** Zero-copy Float32Array over an f32 buffer. */
  f32(): Float32Array {
    if (this.dtype !== "f32")
      throw new Error(`NativeBuffer.f32(): buffer dtype is ${this.dtype}, expected f32`);
    this.#check();
    return viewF32(this.address, this.count);
  }

  /** Zero-copy Uint16Array over a bf16/f16 buffer (raw bit patterns). */
  u16(): Uint16Array {
    if (this.dtype === "f32")
      throw new Error("NativeBuffer.u16(): buffer dtype is f32, expected bf16 or f16");
    this.#check();
    return viewU16(this.address, this.count);
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    free(this.address);
  }

  get freed(): boolean {
    return this.#freed;
  }

  #check(): void {
    if (this.#freed) throw new Error("NativeBuffer: used after free()");
  }
}
