// Reads input files as batches of UTF-8 bytes for the workers: line formats are cut at line ends into
// batches of about BATCH_BYTES (so no record spans two batches); whole-document formats are one batch
// per file. .zst is decompressed with fzstd's streaming decoder, .gz with node:zlib.

import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { Decompress } from "fzstd";
import type { InputFile, InputFormat } from "./inputs";

export const BATCH_BYTES = 1 << 20;

export interface Batch {
  format: InputFormat;
  bytes: Uint8Array;
}

/** Decompressed chunks of a file; `onRaw` hears how many bytes were read from disk. */
async function* chunks(file: InputFile, onRaw: (n: number) => void): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(file.path, { highWaterMark: 1 << 20 });
  if (file.compression === "gzip") {
    stream.on("data", (c) => onRaw((c as Buffer).length));
    const gunzip = stream.pipe(createGunzip());
    stream.on("error", (err) => gunzip.destroy(err));
    try {
      for await (const c of gunzip) yield c as Uint8Array;
    } catch (err) {
      throw new Error(`${file.path}: gzip data is corrupt or truncated (${(err as Error).message})`);
    }
    return;
  }
  if (file.compression === "zstd") {
    const out: Uint8Array[] = [];
    const dec = new Decompress((chunk) => out.push(chunk));
    let any = false;
    for await (const c of stream) {
      const buf = c as Buffer;
      onRaw(buf.length);
      any = true;
      try {
        dec.push(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
      } catch (err) {
        throw new Error(`${file.path}: zstd data is corrupt (${(err as Error).message})`);
      }
      yield* out.splice(0);
    }
    try {
      dec.push(new Uint8Array(0), true);
    } catch (err) {
      throw new Error(`${file.path}: zstd stream ends early (${(err as Error).message})`);
    }
    if (!any) return;
    yield* out.splice(0);
    return;
  }
  for await (const c of stream) {
    onRaw((c as Buffer).length);
    yield c as Uint8Array;
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const LINE_FORMATS: ReadonlySet<InputFormat> = new Set(["jsonl", "lines"]);

/** The batches of one file, in order. Each batch owns its buffer (safe to transfer). */
export async function* fileBatches(file: InputFile, onRaw: (n: number) => void): AsyncGenerator<Batch> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const lineFormat = LINE_FORMATS.has(file.format);
  for await (const c of chunks(file, onRaw)) {
    parts.push(c);
    total += c.length;
    if (!lineFormat || total < BATCH_BYTES) continue;
    const all = concat(parts, total);
    const cut = all.lastIndexOf(10) + 1; // after the last "\n"
    parts.length = 0;
    total = 0;
    if (cut === 0) {
      parts.push(all); // one line longer than a batch: keep reading
      total = all.length;
      continue;
    }
    if (cut < all.length) {
      parts.push(all.slice(cut));
      total = all.length - cut;
    }
    yield { format: file.format, bytes: cut === all.length ? all : all.slice(0, cut) };
  }
  if (total > 0 || !lineFormat) yield { format: file.format, bytes: concat(parts, total) };
}
