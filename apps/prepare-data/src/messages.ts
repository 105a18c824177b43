// Messages between the reading thread and the tokenizer workers. Bytes travel as transferred
// ArrayBuffers (no copy); each batch carries a sequence number so results are written in input order.

import type { InputFormat } from "./inputs";

export interface WorkerConfig {
  tokenizerType: string;
  vocabFile: string | undefined;
  mergeFile: string | undefined;
  jsonlKeys: string[];
  appendEod: boolean;
}

export interface BatchMessage {
  seq: number;
  format: InputFormat;
  /** UTF-8 bytes: whole lines for line formats, the whole file otherwise. */
  bytes: Uint8Array;
}

export interface KeyOutput {
  /** The documents' ids back to back. */
  tokens: Uint16Array | Int32Array;
  /** Number of ids of each document. */
  sizes: Int32Array;
}

/**
 * What was wrong with a line, and so what happened to it: `malformed` lines (bad JSON, a value of the
 * wrong type) are skipped; `invalid-utf8` bytes are replaced with U+FFFD; `nul` bytes are kept;
 * a `bom` at the start of a line is removed. --strict makes every kind fatal.
 */
export type ProblemKind = "malformed" | "invalid-utf8" | "nul" | "bom";

export interface Problem {
  kind: ProblemKind;
  /** 1-based line (or array element) number inside the batch. */
  line: number;
  message: string;
}

export interface BatchResult {
  seq: number;
  /** Lines (or elements) the batch held, to number lines across batches. */
  lines: number;
  /** Records read (documents for text formats). */
  records: number;
  /** UTF-8 bytes of the texts tokenized. */
  textBytes: number;
  keys: KeyOutput[];
  /** Per key: values that were missing, null or empty (no document added). */
  emptyValues: number[];
  /** Per key: non-empty values that produced no tokens (dropped, as GPT-NeoX drops empty documents). */
  noTokens: number[];
  /** The first few problems of each kind, in line order (encoding.ts PROBLEMS_PER_BATCH). */
  problems: Problem[];
  /** How many problems of each kind the batch had, reported or not. */
  problemCounts: Record<ProblemKind, number>;
  /** Field names of the first object record, to explain a --jsonl-keys key that no record has. */
  recordKeys: string[] | undefined;
}

export type WorkerReply =
  | { kind: "ready"; vocabSize: number; eod: number; engine: string }
  | { kind: "result"; result: BatchResult }
  | { kind: "error"; seq: number; message: string; stack: string | undefined };
