// Streaming safetensors writer: the header is built from names, dtypes and shapes alone, then each
// tensor's bytes are asked for one at a time, in data order, written and let go. Exporting a model
// this way holds one tensor's host copy at a time, never two copies of the weights.
// The file is written to a temporary beside `path`, fsynced, renamed over `path`, and the directory
// fsynced, as writeSafetensors does: a crash or a failing producer leaves the old file or none.

import { createHash } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { DType } from "../dtype";
import { Tensor } from "../tensor";
import {
  DTYPE_TO_SAFETENSORS,
  encodeHeader,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
} from "./safetensors-header";

/** What a tensor's producer may return: its bytes whole, in pieces, or a Tensor to copy to host. */
export type TensorBytes = ArrayBufferView | Iterable<ArrayBufferView> | Tensor;

/** One tensor to stream: its header fields now, its bytes when its turn comes. */
export interface StreamedTensor {
  name: string;
  dtype: DType | SafetensorsDType;
  shape: readonly number[];
  /** Called exactly once, in the file's data order; the result must hold dtype size × shape bytes. */
  data: () => TensorBytes;
}

/**
 * transformers' `from_pretrained` refuses a safetensors file whose metadata lacks `format` ("pt",
 * "tf", "flax" or "mlx"); files meant for it carry `{"format": "pt"}`.
 */
export const HF_METADATA: Readonly<Record<string, string>> = { format: "pt" };

export interface WrittenFile {
  /** The file's size in bytes. */
  bytes: number;
  /** SHA-256 of the file, hashed from the bytes as they were written. */
  sha256: string;
  /** Tensor names in data order. */
  order: string[];
}

/** The safetensors dtype for one of ours or one of its own names; undefined when neither. */
export function toSafetensorsDType(dtype: string): SafetensorsDType | undefined {
  if (Object.hasOwn(DTYPE_TO_SAFETENSORS, dtype)) return DTYPE_TO_SAFETENSORS[dtype as DType];
  if (Object.hasOwn(SAFETENSORS_DTYPES, dtype)) return dtype as SafetensorsDType;
  return undefined;
}

/** dtype size × product(shape), refusing sizes past 2^53 (no file this side of a petabyte). */
export function tensorByteSize(name: string, dtype: SafetensorsDType, shape: readonly number[]): number {
  let n = BigInt(SAFETENSORS_DTYPES[dtype]);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new Error(
        `safetensors: tensor "${name}" shape [${shape.join(", ")}] is not non-negative integers`,
      );
    n *= BigInt(d);
  }
  if (n > BigInt(Number.MAX_SAFE_INTEGER))
    throw new Error(
      `safetensors: tensor "${name}" shape [${shape.join(", ")}] of ${dtype} is ${n} bytes, too large`,
    );
  return Number(n);
}

/**
 * Writes `tensors` to `path`, asking each for its bytes in data order (HF's: dtype, then name).
 * `metadata` is merged over {"format": "pt"}, so the file loads in transformers unless the caller
 * says otherwise.
 */
export function writeSafetensorsStream(
  path: string,
  tensors: Iterable<StreamedTensor>,
  metadata: Record<string, string> = {},
): WrittenFile {
  return writeStreamExact(path, tensors, { ...HF_METADATA, ...metadata });
}

/** writeSafetensorsStream with `metadata` exactly as given (no default `format`). */
export function writeStreamExact(
  path: string,
  tensors: Iterable<StreamedTensor>,
  metadata: Record<string, string>,
): WrittenFile {
  const specs = new Map<string, StreamedTensor & { st: SafetensorsDType; bytes: number }>();
  for (const t of tensors) {
    const st = toSafetensorsDType(t.dtype);
    if (!st) throw new Error(`safetensors: tensor "${t.name}" has unknown dtype "${t.dtype}"`);
    if (specs.has(t.name)) throw new Error(`safetensors: tensor "${t.name}" is given twice`);
    specs.set(t.name, { ...t, st, bytes: tensorByteSize(t.name, st, t.shape) });
  }
  const { header, order } = encodeHeader(
    [...specs.values()].map((s) => ({ name: s.name, dtype: s.st, shape: s.shape, bytes: s.bytes })),
    metadata,
  );
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const hash = createHash("sha256");
  let written = 0;
  let fd = openSync(tmp, "wx");
  const put = (b: Uint8Array) => {
    writeAll(fd, b);
    hash.update(b);
    written += b.length;
  };
  try {
    put(header);
    for (const o of order) {
      const spec = specs.get(o.name)!;
      let got = 0;
      for (const piece of pieces(spec.data())) {
        got += piece.length;
        if (got > spec.bytes) break;
        put(piece);
      }
      if (got !== spec.bytes)
        throw new Error(
          `${path}: tensor "${o.name}" ${spec.st} [${spec.shape.join(", ")}] needs ${spec.bytes} bytes, its producer gave ${got > spec.bytes ? "more" : got}`,
        );
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDirectory(dirname(path));
  return { bytes: written, sha256: hash.digest("hex"), order: order.map((o) => o.name) };
}

function* pieces(data: TensorBytes): Generator<Uint8Array> {
  if (data instanceof Tensor) {
    const raw = data.toHost();
    yield new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  } else if (ArrayBuffer.isView(data)) {
    yield new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else {
    for (const p of data) yield new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
  }
}

export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** fsync a directory so a rename inside it survives a crash (best effort: not every FS allows it). */
export function fsyncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
