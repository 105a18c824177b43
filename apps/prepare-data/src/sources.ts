// Reads input files as batches of UTF-8 bytes for the workers: line formats are cut at line ends into
// batches of about BATCH_BYTES (so no record spans two batches); whole-document formats are one batch
// per file. .zst is decompressed with fzstd's streaming decoder, .gz with node:zlib.
//
// Memory is bounded whatever the input: a line (or a whole-file document) longer than the
// per-document limit is refused while it streams in, before it is ever held whole or decoded, with
// its file:line, the bytes seen so far and the limit; and zstd input is fed to the decoder in small
// slices, so one highly compressed chunk cannot expand into gigabytes at once.

import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { Decompress } from "fzstd";
import type { InputFile, InputFormat } from "./inputs";

export const BATCH_BYTES = 1 << 20;

/**
 * Compressed bytes handed to fzstd per call. A zstd block is at most 128 KiB decompressed and can be
 * encoded in 4 bytes (an RLE block), so one slice expands to at most 2048 / 4 · 128 KiB = 64 MiB.
 */
const ZSTD_SLICE = 2048;

export interface Batch {
  format: InputFormat;
  bytes: Uint8Array;
  /** 1-based line number, in its file, of the batch's first line. */
  firstLine: number;
}

/** A document (line, or whole file) larger than the per-document limit. */
export class DocumentTooLargeError extends Error {
  constructor(file: string, line: number, bytes: number, limit: number, wholeFile: boolean) {
    const what = wholeFile ? "the file is one document and has" : "the line has";
    super(
      `${file}:${line}: ${what} more than ${mib(limit)} (${bytes} bytes read so far), over the per-document limit of ${limit} bytes; split it, or raise the limit with --max-document-mb (at most 511, V8's string limit)`,
    );
    this.name = "DocumentTooLargeError";
  }
}

function mib(n: number): string {
  return `${(n / (1 << 20)).toFixed(n % (1 << 20) === 0 ? 0 : 1)} MiB`;
}

/** Decompressed chunks of a file; `onRaw` hears how many bytes were read from disk. */
async function* chunks(
  file: InputFile,
  onRaw: (n: number) => void,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  // The signal destroys the stream, so an interrupt also ends a read that waits (a pipe, a slow disk).
  const stream = createReadStream(file.path, { highWaterMark: 1 << 20, signal });
  if (file.compression === "gzip") {
    stream.on("data", (c) => onRaw((c as Buffer).length));
    const gunzip = stream.pipe(createGunzip());
    stream.on("error", (err) => gunzip.destroy(err));
    try {
      for await (const c of gunzip) yield c as Uint8Array;
    } catch (err) {
      throw new Error(`${file.path}: not gzip data, or corrupt or truncated (${(err as Error).message})`);
    }
    return;
  }
  if (file.compression === "zstd") {
    const out: Uint8Array[] = [];
    const dec = new Decompress((chunk) => out.push(chunk));
    for await (const c of stream) {
      const buf = c as Buffer;
      onRaw(buf.length);
      for (let at = 0; at < buf.length; at += ZSTD_SLICE) {
        const slice = new Uint8Array(buf.buffer, buf.byteOffset + at, Math.min(ZSTD_SLICE, buf.length - at));
        try {
          dec.push(slice);
        } catch (err) {
          throw new Error(`${file.path}: not zstd data, or corrupt (${(err as Error).message})`);
        }
        if (out.length > 0) yield* out.splice(0);
      }
    }
    try {
      dec.push(new Uint8Array(0), true);
    } catch (err) {
      throw new Error(
        `${file.path}: zstd stream ends early, the file is truncated (${(err as Error).message})`,
      );
    }
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

/**
 * Removes a UTF-8 byte-order mark at the start of a file; refuses UTF-16 and UTF-32 (their marks begin
 * FF FE or FE FF), which would otherwise read as invalid UTF-8 or NUL-laden text.
 */
function startOfFile(path: string, c: Uint8Array): Uint8Array {
  if (c[0] === 0xef && c[1] === 0xbb && c[2] === 0xbf) return c.subarray(3);
  if ((c[0] === 0xff && c[1] === 0xfe) || (c[0] === 0xfe && c[1] === 0xff)) {
    throw new Error(
      `${path}: starts with a UTF-16/UTF-32 byte-order mark (${c[0]!.toString(16)} ${c[1]!.toString(16)}); prepare-data reads UTF-8, convert it first (iconv -f UTF-16 -t UTF-8)`,
    );
  }
  return c;
}

/**
 * The batches of one file, in order. Each batch owns its buffer (safe to transfer). A line longer
 * than `maxDocumentBytes` (without its line end), or a whole-file document larger than it, throws
 * DocumentTooLargeError as soon as that many bytes of it have been read.
 */
export async function* fileBatches(
  file: InputFile,
  onRaw: (n: number) => void,
  maxDocumentBytes: number,
  signal?: AbortSignal,
): AsyncGenerator<Batch> {
  const lineFormat = LINE_FORMATS.has(file.format);
  const complete: Uint8Array[] = []; // whole lines not yet sent
  let completeBytes = 0;
  let partial: Uint8Array[] = []; // the line being read
  let lineBytes = 0; // bytes of the line being read, without its "\n"
  let line = 1; // its number
  let firstLine = 1; // number of the first line in `complete`
  let first = true;
  for await (let c of chunks(file, onRaw, signal)) {
    if (first && c.length > 0) {
      c = startOfFile(file.path, c);
      first = false;
    }
    if (!lineFormat) {
      partial.push(c);
      lineBytes += c.length;
      if (lineBytes > maxDocumentBytes)
        throw new DocumentTooLargeError(file.path, 1, lineBytes, maxDocumentBytes, true);
      continue;
    }
    let from = 0;
    let lastEnd = -1;
    for (;;) {
      const nl = c.indexOf(10, from);
      lineBytes += (nl < 0 ? c.length : nl) - from;
      if (lineBytes > maxDocumentBytes)
        throw new DocumentTooLargeError(file.path, line, lineBytes, maxDocumentBytes, false);
      if (nl < 0) break;
      line++;
      lineBytes = 0;
      lastEnd = nl + 1;
      from = nl + 1;
    }
    if (lastEnd < 0) {
      partial.push(c);
      continue;
    }
    for (const p of partial) complete.push(p);
    complete.push(c.subarray(0, lastEnd));
    completeBytes += partial.reduce((n, p) => n + p.length, 0) + lastEnd;
    partial = lastEnd < c.length ? [c.subarray(lastEnd)] : [];
    if (completeBytes >= BATCH_BYTES) {
      yield { format: file.format, bytes: concat(complete, completeBytes), firstLine };
      complete.length = 0;
      completeBytes = 0;
      firstLine = line;
    }
  }
  const rest = [...complete, ...partial];
  const restBytes = completeBytes + partial.reduce((n, p) => n + p.length, 0);
  if (restBytes > 0 || !lineFormat) yield { format: file.format, bytes: concat(rest, restBytes), firstLine };
}
