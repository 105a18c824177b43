// Native buffer bookkeeping for the element-wise, norm, loss and optimizer parity tests: a scope
// that frees everything it allocated, int32 buffers (token ids, targets), and inputs rounded the
// way the kernel will see them.
import { NativeBuffer, view } from "../../src/index";
import { fromNative, roundTo, toNative } from "./native";

export class BufferScope {
  #bufs: NativeBuffer[] = [];

  /** An f32 buffer holding `data` (rounded to fp32). */
  f32(data: ArrayLike<number>): NativeBuffer {
    return this.#keep(toNative(data, "f32"));
  }

  /** A bf16 buffer holding `data` (rounded to bf16). */
  bf16(data: ArrayLike<number>): NativeBuffer {
    return this.#keep(toNative(data, "bf16"));
  }

  /** An uninitialised f32 (or bf16) buffer of n elements. */
  empty(n: number, dtype: "f32" | "bf16" = "f32"): NativeBuffer {
    return this.#keep(new NativeBuffer(Math.max(n, 1), dtype));
  }

  /** An int32 buffer (allocated as f32-sized elements, written through an Int32Array view). */
  i32(data: Int32Array): NativeBuffer {
    const buf = this.#keep(new NativeBuffer(Math.max(data.length, 1), "f32"));
    new Int32Array(view(buf.address, data.length * 4)).set(data);
    return buf;
  }

  free(): void {
    for (const b of this.#bufs) b.free();
    this.#bufs = [];
  }

  #keep(b: NativeBuffer): NativeBuffer {
    this.#bufs.push(b);
    return b;
  }
}

/** Runs fn with a fresh scope and frees it afterwards (also on throw). */
export function withBuffers<T>(fn: (s: BufferScope) => T): T {
  const s = new BufferScope();
  try {
    return fn(s);
  } finally {
    s.free();
  }
}

/** The first n values of a buffer as float64. */
export function read(buf: NativeBuffer, n = buf.count): Float64Array {
  return fromNative(buf).subarray(0, n);
}

/** data rounded to fp32 (what an f32 kernel reads). */
export const f32 = (data: ArrayLike<number>): Float64Array => roundTo(data, "f32");
/** data rounded to bf16. */
export const bf16 = (data: ArrayLike<number>): Float64Array => roundTo(data, "bf16");
