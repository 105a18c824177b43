// Tensor = storage + element offset + shape + strides + dtype (+ the storage's device). Views
// (view/reshape/transpose/narrow) share storage; each Tensor object holds one reference and
// `dispose()` releases it. Views of tensors that require grad are recorded on the tape.

import { record, type TapeEntry } from "./autograd/tape";
import type { Backend, Device } from "./backend/backend";
import { defaultDevice } from "./backend/default-device";
import { getBackend } from "./backend/registry";
import { type DType, decodeToFloat32, encode, type HostArray, hostArray, itemSize } from "./dtype";
import { contiguous } from "./ops/basic";
import { type Scoped, track } from "./scope";
import { Storage } from "./storage";

export type Shape = readonly number[];

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

function checkShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: bad shape [${shape.join(", ")}]`);
  }
}

export interface TensorOptions {
  dtype?: DType;
  /** Default: defaultDevice() ("cpu" unless a program set another). */
  device?: Device;
}

export class Tensor implements Scoped {
  readonly shape: Shape;
  readonly strides: Shape;
  /** Set on leaves (parameters) by the user; propagated to outputs of recorded ops. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward`. */
  grad: Tensor | null = null;
  /** The tape entry that produced this tensor; null for leaves and untracked tensors. */
  producer: TapeEntry | null = null;
  private disposed = false;

  constructor(
    readonly storage: Storage,
    shape: Shape,
    readonly dtype: DType,
    strides?: Shape,
    /** Offset in elements from the start of the storage. */
    readonly offset = 0,
    scoped = true,
  ) {
    checkShape(shape, "Tensor");
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    storage.retain();
    if (scoped) track(this);
  }

  // ---- construction ----------------------------------------------------------------------

  /** Uninitialised memory. */
  static empty(shape: Shape, opts: TensorOptions = {}): Tensor {
    checkShape(shape, "empty");
    const dtype = opts.dtype ?? "f32";
    const storage = Storage.allocate(
      getBackend(opts.device ?? defaultDevice()),
      numelOf(shape) * itemSize(dtype),
    );
    return new Tensor(storage, shape, dtype);
  }

  static fromArray(values: ArrayLike<number> | HostArray, shape: Shape, opts: TensorOptions = {}): Tensor {
    const n = numelOf(shape);
    if (values.length !== n) {
      throw new Error(
        `fromArray: ${values.length} values do not fill shape [${shape.join(", ")}] (${n} elements)`,
      );
    }
    const t = Tensor.empty(shape, opts);
    t.write(values);
    return t;
  }

  // ---- properties --------------------------------------------------------------------------

  get backend(): Backend {
    return this.storage.backend;
  }
  get device(): Device {
    return this.storage.backend.device;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return numelOf(this.shape);
  }
  get isDisposed(): boolean {
    return this.disposed;
  }
  /** Device address of the first element. */
  get address(): number {
    if (this.disposed)
      throw new Error(`tensor [${this.shape.join(", ")}] ${this.dtype} used after dispose()`);
    return this.storage.address + this.offset * itemSize(this.dtype);
  }
  get isContiguous(): boolean {
    let s = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== s) return false;
      s *= this.shape[i]!;
    }
    return true;
  }
  /** Size of dimension `dim` (negative counts from the end). */
  size(dim: number): number {
    const d = dim < 0 ? this.shape.length + dim : dim;
    const n = this.shape[d];
    if (n === undefined) throw new Error(`size(${dim}): tensor has ${this.shape.length} dimensions`);
    return n;
  }

  toString(): string {
    return `Tensor[${this.shape.join(", ")}] ${this.dtype} ${this.device}`;
  }

  // ---- lifetime ------------------------------------------------------------------------------

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.storage.release();
  }

  /** A second handle on the same memory with its own reference, owned by the caller alone. */
  alias(): Tensor {
    const t = new Tensor(this.storage, this.shape, this.dtype, this.strides, this.offset, false);
    t.requiresGrad = this.requiresGrad;
    return t;
  }

  /** Mark as a leaf that accumulates a gradient. Returns this. */
  requireGrad(on = true): this {
    this.requiresGrad = on;
    return this;
  }

  /** Called by the tape when an op recorded this tensor as its output. */
  markProduced(entry: TapeEntry): void {
    this.requiresGrad = true;
    this.producer = entry;
  }

  // ---- views (share storage) -------------------------------------------------------------------

  private viewOf(shape: Shape, strides: Shape, offset: number): Tensor {
    return new Tensor(this.storage, shape, this.dtype, strides, offset);
  }

  /** Same memory, new shape; needs a contiguous tensor. One dimension may be -1. */
  view(...shape: number[]): Tensor {
    const resolved = resolveShape(shape, this.numel);
    if (!this.isContiguous) {
      throw new Error(`view: tensor [${this.shape.join(", ")}] is not contiguous; call contiguous() first`);
    }
    const out = this.viewOf(resolved, contiguousStrides(resolved), this.offset);
    record("reshape", [this], [out], [], { shape: this.shape });
    return out;
  }

  /** Alias of view (our reshapes never copy: make the tensor contiguous first). */
  reshape(...shape: number[]): Tensor {
    return this.view(...shape);
  }

  transpose(a: number, b: number): Tensor {
    const n = this.ndim;
    const da = a < 0 ? n + a : a;
    const db = b < 0 ? n + b : b;
    if (da < 0 || da >= n || db < 0 || db >= n)
      throw new Error(`transpose(${a}, ${b}): tensor has ${n} dims`);
    const shape = [...this.shape];
    const strides = [...this.strides];
    [shape[da], shape[db]] = [shape[db]!, shape[da]!];
    [strides[da], strides[db]] = [strides[db]!, strides[da]!];
    const out = this.viewOf(shape, strides, this.offset);
    record("transpose", [this], [out], [], { a: da, b: db });
    return out;
  }

  /** Elements `start .. start+length-1` of dimension `dim`. */
  narrow(dim: number, start: number, length: number): Tensor {
    const d = dim < 0 ? this.ndim + dim : dim;
    const size = this.shape[d];
    if (size === undefined) throw new Error(`narrow: dim ${dim} out of range for ${this.ndim} dims`);
    if (start < 0 || length < 0 || start + length > size) {
      throw new Error(`narrow: [${start}, ${start + length}) is outside dim ${d} of size ${size}`);
    }
    const shape = [...this.shape];
    shape[d] = length;
    const out = this.viewOf(shape, this.strides, this.offset + start * this.strides[d]!);
    record("narrow", [this], [out], [], { dim: d, start, shape: this.shape });
    return out;
  }

  /** This tensor when already contiguous, else a contiguous copy (recorded: gradients flow). */
  contiguous(): Tensor {
    return contiguous(this);
  }

  /** Elements `start .. end-1` of dimension `dim` (a narrow by bounds). */
  slice(dim: number, start: number, end: number): Tensor {
    return this.narrow(dim, start, end - start);
  }

  // ---- host transfer (tests, inputs, checkpoints; not for hot loops) ------------------------

  /** Overwrite a contiguous tensor's elements from host values. */
  write(values: ArrayLike<number> | HostArray): void {
    if (!this.isContiguous) throw new Error("write: tensor is not contiguous");
    if (values.length !== this.numel)
      throw new Error(`write: ${values.length} values for ${this.numel} elements`);
    const size = itemSize(this.dtype);
    const raw = hostArray(this.dtype, new ArrayBuffer(this.numel * size), 0, this.numel);
    if (isRawFor(this.dtype, values)) raw.set(values as never);
    else encode(this.dtype, values as ArrayLike<number>, raw);
    this.storage.write(this.offset * size, raw);
  }

  /** The raw elements in row-major order (bf16/f16 as bit patterns). */
  toHost(): HostArray {
    const src = this.isContiguous ? this : this.contiguousCopyOnHost();
    if (src !== this) return src as unknown as HostArray;
    const size = itemSize(this.dtype);
    const raw = hostArray(this.dtype, new ArrayBuffer(this.numel * size), 0, this.numel);
    this.backend.synchronize();
    this.storage.read(this.offset * size, raw);
    return raw;
  }

  toFloat32Array(): Float32Array {
    return decodeToFloat32(this.dtype, this.toHost());
  }

  /** The single element of a one-element tensor. */
  item(): number {
    if (this.numel !== 1) throw new Error(`item(): tensor has ${this.numel} elements, not 1`);
    return this.toFloat32Array()[0]!;
  }

  // Strided read: fetch the whole spanned range and gather on the host (tests only).
  private contiguousCopyOnHost(): HostArray {
    const size = itemSize(this.dtype);
    let span = 1;
    for (let i = 0; i < this.ndim; i++) span += (this.shape[i]! - 1) * this.strides[i]!;
    const whole = hostArray(this.dtype, new ArrayBuffer(span * size), 0, span);
    this.backend.synchronize();
    this.storage.read(this.offset * size, whole);
    const out = hostArray(this.dtype, new ArrayBuffer(this.numel * size), 0, this.numel);
    const idx = new Array<number>(this.ndim).fill(0);
    for (let i = 0; i < this.numel; i++) {
      let at = 0;
      for (let d = 0; d < this.ndim; d++) at += idx[d]! * this.strides[d]!;
      (out as Float32Array)[i] = (whole as Float32Array)[at]!;
      for (let d = this.ndim - 1; d >= 0; d--) {
        if (++idx[d]! < this.shape[d]!) break;
        idx[d] = 0;
      }
    }
    return out;
  }
}

function isRawFor(dtype: DType, values: ArrayLike<number> | HostArray): boolean {
  if (dtype === "bf16" || dtype === "f16") return values instanceof Uint16Array;
  if (dtype === "i64") return values instanceof BigInt64Array;
  return false;
}

function resolveShape(shape: readonly number[], numel: number): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (free >= 0) {
    const rest = numelOf(out.filter((_, i) => i !== free));
    if (rest === 0 || numel % rest !== 0)
      throw new Error(`view: cannot infer -1 in [${shape.join(", ")}] for ${numel}`);
    out[free] = numel / rest;
  }
  if (numelOf(out) !== numel)
    throw new Error(`view: shape [${shape.join(", ")}] does not hold ${numel} elements`);
  return out;
}
