// Reading and writing safetensors files (the format HF and our checkpoints use; DESIGN §8).
// Reading opens the file, reads and validates only the header, then reads each tensor on demand
// with one positional read, so a 10 GB checkpoint costs its header until a tensor is asked for.
// Writing goes to a temporary beside the target, is fsynced and renamed into place, so a crash
// leaves the old file or the new one, never a torn one. Host byte order is assumed little-endian
// (every platform Node ships for).

import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type { DType } from "../dtype";
import { Tensor, type TensorOptions } from "../tensor";
import {
  DTYPE_TO_SAFETENSORS,
  encodeHeader,
  headerLength,
  parseHeader,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
  type SafetensorsEntry,
  SafetensorsError,
  safetensorsToDType,
} from "./safetensors-header";
import { type StreamedTensor, writeStreamExact } from "./safetensors-writer";

export {
  DTYPE_TO_SAFETENSORS,
  MAX_HEADER_BYTES,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
  type SafetensorsEntry,
  SafetensorsError,
} from "./safetensors-header";

/** A typed array over one safetensors dtype's raw elements (bf16/f16/F8 as bit patterns). */
export type SafetensorsArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

function arrayOf(dtype: SafetensorsDType, buf: ArrayBuffer, length: number): SafetensorsArray {
  switch (dtype) {
    case "F32":
      return new Float32Array(buf, 0, length);
    case "F64":
      return new Float64Array(buf, 0, length);
    case "I8":
      return new Int8Array(buf, 0, length);
    case "I16":
      return new Int16Array(buf, 0, length);
    case "U16":
    case "F16":
    case "BF16":
      return new Uint16Array(buf, 0, length);
    case "I32":
      return new Int32Array(buf, 0, length);
    case "U32":
      return new Uint32Array(buf, 0, length);
    case "I64":
      return new BigInt64Array(buf, 0, length);
    case "U64":
      return new BigUint64Array(buf, 0, length);
    default:
      return new Uint8Array(buf, 0, length);
  }
}

/** An open safetensors file: header parsed and validated, tensor bytes read when asked for. */
export class SafetensorsFile {
  private fd: number;
  private readonly byName: Map<string, SafetensorsEntry>;

  private constructor(
    readonly path: string,
    fd: number,
    readonly entries: readonly SafetensorsEntry[],
    readonly metadata: Readonly<Record<string, string>>,
    private readonly dataStart: number,
  ) {
    this.fd = fd;
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  static open(path: string): SafetensorsFile {
    // Checked before opening: opening a FIFO for reading would block until a writer appears.
    const kind = statSync(path);
    if (!kind.isFile())
      throw new SafetensorsError(
        path,
        `not a regular file (${kind.isDirectory() ? "a directory" : kind.isFIFO() ? "a FIFO" : "a device or socket"})`,
      );
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const prefix = new Uint8Array(8);
      if (size >= 8) readExactly(fd, prefix, 0, path, "");
      const n = headerLength(prefix, size, path);
      const json = new Uint8Array(n);
      readExactly(fd, json, 8, path, "header: ");
      const header = parseHeader(json, size - 8 - n, path);
      return new SafetensorsFile(path, fd, header.entries, header.metadata, header.dataStart);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Tensor names in data order. */
  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): SafetensorsEntry {
    const e = this.byName.get(name);
    if (!e) {
      const some = this.names().slice(0, 8).join(", ");
      throw new SafetensorsError(
        this.path,
        `no tensor "${name}" (it holds ${this.entries.length}: ${some}${this.entries.length > 8 ? ", ..." : ""})`,
        undefined,
        name,
      );
    }
    return e;
  }

  /** The tensor's bytes, copied into a fresh 8-byte aligned buffer. */
  readBytes(name: string): Uint8Array {
    if (this.fd < 0)
      throw new SafetensorsError(this.path, `read of "${name}" after close()`, undefined, name);
    const e = this.entry(name);
    const out = new Uint8Array(new ArrayBuffer(Math.ceil((e.end - e.begin) / 8) * 8), 0, e.end - e.begin);
    readExactly(this.fd, out, this.dataStart + e.begin, this.path, `tensor "${name}": `);
    return out;
  }

  /** The tensor's elements in row-major order as the typed array of its dtype. */
  readArray(name: string): SafetensorsArray {
    const e = this.entry(name);
    const bytes = this.readBytes(name);
    return arrayOf(e.dtype, bytes.buffer as ArrayBuffer, (e.end - e.begin) / SAFETENSORS_DTYPES[e.dtype]);
  }

  /** The tensor in native memory (on `opts.device`), in its stored dtype. */
  readTensor(name: string, opts: Pick<TensorOptions, "device"> = {}): Tensor {
    const e = this.entry(name);
    const dtype = safetensorsToDType(e.dtype);
    if (!dtype)
      throw new Error(
        `${this.path}: tensor "${name}" is ${e.dtype}, which has no tensor dtype here (use readArray for its raw elements)`,
      );
    return Tensor.fromArray(this.readArray(name) as never, e.shape, { ...opts, dtype });
  }

  /**
   * Loads a tensor into an existing contiguous tensor of the same shape and dtype (a model's
   * parameter), so loading a checkpoint allocates nothing beyond one host buffer per tensor.
   */
  readInto(name: string, target: Tensor): void {
    const e = this.entry(name);
    const want = DTYPE_TO_SAFETENSORS[target.dtype];
    const same = e.shape.length === target.shape.length && e.shape.every((d, i) => d === target.shape[i]);
    if (e.dtype !== want || !same)
      throw new Error(
        `${this.path}: tensor "${name}" is ${e.dtype} [${e.shape.join(", ")}], the target is ${want} [${target.shape.join(", ")}]`,
      );
    target.write(this.readArray(name) as never);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

// The file can shrink after open (another process truncating it): a short read is an error
// naming where the bytes ran out, never a silently zero-filled tensor.
function readExactly(fd: number, into: Uint8Array, position: number, path: string, what: string): void {
  let done = 0;
  while (done < into.length) {
    const got = readSync(fd, into, done, into.length - done, position + done);
    if (got === 0)
      throw new SafetensorsError(
        path,
        `${what}file ends at byte ${position + done}, expected ${into.length - done} more bytes`,
        position + done,
      );
    done += got;
  }
}

/** What the writer accepts for one tensor: a Tensor, or raw elements with their dtype and shape. */
export type SafetensorsInput =
  | Tensor
  | { dtype: DType | SafetensorsDType; shape: readonly number[]; data: ArrayBufferView };

function normalise(
  name: string,
  input: SafetensorsInput,
): { dtype: SafetensorsDType; shape: readonly number[]; bytes: Uint8Array } {
  if (input instanceof Tensor) {
    const raw = input.toHost();
    return {
      dtype: DTYPE_TO_SAFETENSORS[input.dtype],
      shape: input.shape,
      bytes: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength),
    };
  }
  const dtype = (
    input.dtype in DTYPE_TO_SAFETENSORS ? DTYPE_TO_SAFETENSORS[input.dtype as DType] : input.dtype
  ) as SafetensorsDType;
  if (!(dtype in SAFETENSORS_DTYPES))
    throw new Error(`safetensors: tensor "${name}" has unknown dtype "${input.dtype}"`);
  const numel = input.shape.reduce((a, d) => a * d, 1);
  const bytes = new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength);
  if (bytes.length !== numel * SAFETENSORS_DTYPES[dtype])
    throw new Error(
      `safetensors: tensor "${name}" shape [${input.shape.join(", ")}] of ${dtype} needs ${numel * SAFETENSORS_DTYPES[dtype]} bytes, got ${bytes.length}`,
    );
  return { dtype, shape: input.shape, bytes };
}

/** The whole file in memory (tests, small files); HF's writer lays out the same bytes. */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsInput>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const parts = Object.entries(tensors).map(([name, t]) => ({ name, ...normalise(name, t) }));
  const { header, order } = encodeHeader(
    parts.map((p) => ({ name: p.name, dtype: p.dtype, shape: p.shape, bytes: p.bytes.length })),
    metadata,
  );
  const byName = new Map(parts.map((p) => [p.name, p]));
  const total = header.length + parts.reduce((a, p) => a + p.bytes.length, 0);
  const out = new Uint8Array(total);
  out.set(header, 0);
  let at = header.length;
  for (const o of order) {
    out.set(byName.get(o.name)!.bytes, at);
    at += o.bytes;
  }
  return out;
}

/**
 * Writes `tensors` to `path` atomically: a temporary beside it, fsynced, renamed over `path`,
 * and the directory fsynced so the rename survives a crash. Tensors are streamed one at a time
 * (a Tensor is copied to host only when its turn comes). `metadata` is written exactly as given.
 * Returns the file's size and SHA-256, hashed from the bytes as they are written (checkpoint
 * indexes record both without reading the file back).
 */
export function writeSafetensors(
  path: string,
  tensors: Record<string, SafetensorsInput>,
  metadata: Record<string, string> = {},
): { bytes: number; sha256: string } {
  const streamed: StreamedTensor[] = Object.entries(tensors).map(([name, t]) => {
    if (t instanceof Tensor) return { name, dtype: t.dtype, shape: t.shape, data: () => t };
    const { dtype, shape, bytes } = normalise(name, t);
    return { name, dtype, shape, data: () => bytes };
  });
  const { bytes, sha256 } = writeStreamExact(path, streamed, metadata);
  return { bytes, sha256 };
}

export {
  HF_METADATA,
  type StreamedTensor,
  type TensorBytes,
  tensorByteSize,
  toSafetensorsDType,
  type WrittenFile,
  writeSafetensorsStream,
} from "./safetensors-writer";
