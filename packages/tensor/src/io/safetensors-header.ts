// The safetensors header: parsing with full validation, and the canonical encoding HF's writer
// produces. Format (huggingface/safetensors, format.md):
//   bytes 0..8    N, the header length, u64 little-endian
//   bytes 8..8+N  UTF-8 JSON {"__metadata__": {str: str}?, name: {dtype, shape, data_offsets: [b, e]}}
//                 padded with spaces to a multiple of 8 by HF's writer
//   bytes 8+N..   the data section; offsets are relative to its start, tensors packed back to back
//                 with no gaps, little-endian, row-major, and the last one ends the file.

import type { DType } from "../dtype";

/** Every dtype the format names, with its element size in bytes. */
export const SAFETENSORS_DTYPES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPES;

// HF's Rust writer orders tensors by dtype (its enum's declaration order, largest first), then
// by name; that order decides the data offsets, so byte-identical files need the same order.
const DTYPE_RANK = Object.keys(SAFETENSORS_DTYPES) as SafetensorsDType[];

/** Our tensor dtypes and the names safetensors gives them. */
export const DTYPE_TO_SAFETENSORS: Record<DType, SafetensorsDType> = {
  f32: "F32",
  bf16: "BF16",
  f16: "F16",
  i32: "I32",
  i64: "I64",
  u16: "U16",
  u8: "U8",
};

export function safetensorsToDType(dtype: SafetensorsDType): DType | undefined {
  for (const [ours, theirs] of Object.entries(DTYPE_TO_SAFETENSORS))
    if (theirs === dtype) return ours as DType;
  return undefined;
}

/**
 * A malformed or unreadable safetensors file. The message starts with the file's path and names
 * the byte offset or the tensor at fault; `offset` (absolute, in the file) and `tensor` carry the
 * same for code that wants them.
 */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    detail: string,
    readonly offset?: number,
    readonly tensor?: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = "SafetensorsError";
  }
}

/** One tensor's entry: where its bytes lie, relative to the start of the data section. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Entries in data order (ascending offsets). */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Bytes before the data section: 8 + header length. */
  dataStart: number;
}

/** HF's reader refuses headers over 100 MB; so do we, before allocating for one. */
export const MAX_HEADER_BYTES = 100_000_000;

/** The header length N from the first 8 bytes, checked against the file size. */
export function headerLength(prefix: Uint8Array, fileSize: number, where: string): number {
  if (fileSize < 8)
    throw new SafetensorsError(
      where,
      `${fileSize} bytes is too short for a safetensors file (8-byte header length)`,
      0,
    );
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8))
    throw new SafetensorsError(
      where,
      `header length ${n} at byte 0 runs past the end of the file (${fileSize} bytes, ${fileSize - 8} after the length)`,
      0,
    );
  if (n > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(
      where,
      `header length ${n} at byte 0 exceeds the ${MAX_HEADER_BYTES}-byte limit`,
      0,
    );
  return Number(n);
}

/**
 * Parses and validates the JSON header; `dataBytes` is the size of the data section. The rules
 * are the reference reader's (huggingface/safetensors `SafeTensors::read_metadata` + `validate`):
 * the text starts with "{", every dtype is known, every shape's byte size (dtype size × elements,
 * overflow checked) equals its data_offsets range, and the entries, ordered by offset, tile the
 * data section from 0 to its last byte with no gap or overlap. Nothing is allocated from a number
 * in the header: a claim of 2^60 bytes fails here, before any read.
 */
export function parseHeader(json: Uint8Array, dataBytes: number, where: string): SafetensorsHeader {
  const span = `header (bytes 8..${8 + json.length})`;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(json);
  } catch {
    throw new SafetensorsError(where, `${span} is not valid UTF-8`, 8);
  }
  // The reference refuses any header not starting with "{" (leading whitespace included), so a
  // file whose first tensor bytes were taken for a header cannot pass as JSON by luck.
  if (text.length > 0 && text[0] !== "{" && text.trimStart().startsWith("{"))
    throw new SafetensorsError(where, `${span} must start with "{" at byte 8, found whitespace`, 8);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(where, `${span} is not valid JSON: ${(err as Error).message}`, 8);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new SafetensorsError(where, `${span} is not a JSON object`, 8);
  checkDuplicateKeys(text, where);

  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === "__metadata__") {
      // The reference reads it as Option<HashMap<String, String>>: null means none.
      if (value === null) continue;
      if (typeof value !== "object" || Array.isArray(value))
        throw new SafetensorsError(
          where,
          `__metadata__ must be an object of strings, found ${kindOf(value)}`,
          8,
        );
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string")
          throw new SafetensorsError(
            where,
            `__metadata__["${k}"] is ${JSON.stringify(v)}, expected a string`,
            8,
          );
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, value, where));
  }

  const at = 8 + json.length;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin < expected)
      throw new SafetensorsError(
        where,
        `tensor "${e.name}" data_offsets [${e.begin}, ${e.end}] overlap the tensor before it (ends at ${expected}; data starts at byte ${at})`,
        at + e.begin,
        e.name,
      );
    if (e.begin > expected)
      throw new SafetensorsError(
        where,
        `tensor "${e.name}" starts at data offset ${e.begin} but the previous tensor ends at ${expected} (a gap at byte ${at + expected}; tensors must be packed)`,
        at + expected,
        e.name,
      );
    if (e.end > dataBytes)
      throw new SafetensorsError(
        where,
        `tensor "${e.name}" data_offsets [${e.begin}, ${e.end}] run past the data section (${dataBytes} bytes from byte ${at})`,
        at + dataBytes,
        e.name,
      );
    expected = e.end;
  }
  if (expected !== dataBytes)
    throw new SafetensorsError(
      where,
      `the tensors cover ${expected} bytes of the ${dataBytes}-byte data section (trailing bytes from byte ${at + expected})`,
      at + expected,
    );
  return { entries, metadata, dataStart: at };
}

const kindOf = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "an array"
      : typeof v === "object"
        ? "an object"
        : JSON.stringify(v);

function parseEntry(name: string, value: unknown, where: string): SafetensorsEntry {
  const fail = (detail: string) => new SafetensorsError(where, `tensor "${name}": ${detail}`, 8, name);
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw fail(`entry is ${kindOf(value)}, expected an object {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !Object.hasOwn(SAFETENSORS_DTYPES, dtype))
    throw fail(`unknown dtype ${JSON.stringify(dtype)} (expected one of ${DTYPE_RANK.join(", ")})`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  )
    throw fail(`data_offsets ${JSON.stringify(offsets)} are not [begin, end] with 0 <= begin <= end`);
  // In BigInt: a product of safe integers can pass 2^53 and round to a value that matches.
  const size = SAFETENSORS_DTYPES[dtype as SafetensorsDType];
  const need = shape.reduce((a: bigint, d: number) => a * BigInt(d), BigInt(size));
  const hold = offsets[1] - offsets[0];
  if (need !== BigInt(hold))
    throw fail(
      `shape [${shape.join(", ")}] of ${dtype} needs ${need} bytes but data_offsets [${offsets[0]}, ${offsets[1]}] hold ${hold}`,
    );
  return { name, dtype: dtype as SafetensorsDType, shape, begin: offsets[0], end: offsets[1] };
}

// JSON.parse keeps the last of two equal keys silently; a header naming a tensor twice is corrupt.
// Only the top level matters, so scan the keys at depth 1 of the (already valid) JSON text.
function checkDuplicateKeys(text: string, where: string): void {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (/\s/.test(text[k] ?? "")) k++;
        if (text[k] === ":") {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (seen.has(key)) {
            const byte = 8 + new TextEncoder().encode(text.slice(0, i)).length;
            throw new SafetensorsError(
              where,
              `header names "${key}" twice (again at byte ${byte})`,
              byte,
              key,
            );
          }
          seen.add(key);
        }
      }
      i = j;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
  }
}

export interface HeaderInput {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  bytes: number;
}

/**
 * The header bytes (length prefix included) and the data order for `tensors`, as HF's writer
 * lays them out: dtype rank descending, then name; compact JSON with `__metadata__` first
 * (omitted when empty, keys sorted); spaces pad the JSON to a multiple of 8.
 */
export function encodeHeader(
  tensors: readonly HeaderInput[],
  metadata: Record<string, string> = {},
): { header: Uint8Array; order: HeaderInput[] } {
  const order = [...tensors].sort(
    (a, b) =>
      DTYPE_RANK.indexOf(b.dtype) - DTYPE_RANK.indexOf(a.dtype) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  // Built by hand: a JS object would move integer-like names ("0") ahead of the others.
  const parts: string[] = [];
  // HF keeps metadata in a hash map (arbitrary order); we sort keys so output is reproducible.
  const meta = Object.keys(metadata)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
  if (meta.length > 0) parts.push(`"__metadata__":{${meta.join(",")}}`);
  let offset = 0;
  for (const t of order) {
    if (t.name === "__metadata__") throw new Error(`safetensors: "__metadata__" cannot name a tensor`);
    const entry = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + t.bytes] };
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify(entry)}`);
    offset += t.bytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const n = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + n).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(n), true);
  header.set(json, 8);
  return { header, order };
}
