// Turns a batch's bytes into documents: for each record, the text of each --jsonl-keys key (or
// undefined when the record gives that key nothing). lm_dataformat's rules, which GPT-NeoX reads
// through: a record that is a bare JSON string is the text itself (for every key); a list value is
// joined with "\n\n". Unlike GPT-NeoX (bug #455), each key reads its own field.
//
// Nothing is changed without a report: invalid UTF-8 (decoded as U+FFFD), NUL bytes in plain text, a
// byte-order mark at the start of a line (removed) and malformed lines (skipped) are each logged with
// their line (encoding.ts). A byte-order mark at the start of a file is removed by sources.ts.

import { detagBrown } from "@neox/tokenize";
import { checkBytes, logProblem, type ProblemLog } from "./encoding";
import type { InputFormat } from "./inputs";

export interface RecordSink {
  /** `texts[k]` is key k's text, or undefined for a missing, null or empty value. */
  record(texts: (string | undefined)[]): void;
  log: ProblemLog;
  /** Field names of the first object record seen (set once). */
  recordKeys?: string[] | undefined;
}

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const BOM = 0xfeff;
const MAX_KEYS_REPORTED = 20;

/** Reads one batch; returns the number of lines (or array elements) it held. */
export function readRecords(
  format: InputFormat,
  bytes: Uint8Array,
  keys: readonly string[],
  sink: RecordSink,
): number {
  // NUL bytes matter in plain text only: in JSON a raw NUL is already a syntax error.
  if (format !== "brown") checkBytes(bytes, sink.log, { nul: format === "lines" || format === "text" });
  const text = decoder.decode(bytes);
  switch (format) {
    case "text":
      sink.record(keys.map(() => text || undefined));
      return 1;
    case "brown": {
      const doc = detagBrown(text);
      sink.record(keys.map(() => doc || undefined));
      return 1;
    }
    case "lines":
      return forEachLine(text, sink, (line) => sink.record(keys.map(() => line || undefined)));
    case "json-array":
      if (/^\s*\[/.test(text)) return readJsonArray(text, keys, sink);
      return readJsonLines(text, keys, sink);
    case "jsonl":
      return readJsonLines(text, keys, sink);
  }
}

function forEachLine(text: string, sink: RecordSink, onLine: (line: string, lineNo: number) => void): number {
  let start = 0;
  let n = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    n++;
    if (text.charCodeAt(start) === BOM && start < stop) {
      logProblem(sink.log, { kind: "bom", line: n, message: "byte-order mark at the start of the line" });
      start++;
    }
    onLine(text.slice(start, stop), n);
    start = end + 1;
  }
  return n;
}

function readJsonLines(text: string, keys: readonly string[], sink: RecordSink): number {
  return forEachLine(text, sink, (line, lineNo) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      logProblem(sink.log, {
        kind: "malformed",
        line: lineNo,
        message: `not valid JSON (${(err as Error).message})`,
      });
      return;
    }
    takeRecord(value, keys, sink, lineNo);
  });
}

function readJsonArray(text: string, keys: readonly string[], sink: RecordSink): number {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    logProblem(sink.log, {
      kind: "malformed",
      line: 1,
      message: `not a valid JSON array (${(err as Error).message})`,
    });
    return 1;
  }
  const items = value as unknown[];
  for (let i = 0; i < items.length; i++) takeRecord(items[i], keys, sink, i + 1);
  return items.length;
}

function takeRecord(value: unknown, keys: readonly string[], sink: RecordSink, lineNo: number): void {
  if (typeof value === "string") {
    sink.record(keys.map(() => value || undefined));
    return;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    logProblem(sink.log, {
      kind: "malformed",
      line: lineNo,
      message: `expected a JSON object or string, got ${describe(value)}`,
    });
    return;
  }
  const fields = value as Record<string, unknown>;
  sink.recordKeys ??= Object.keys(fields).slice(0, MAX_KEYS_REPORTED);
  const texts: (string | undefined)[] = [];
  for (const key of keys) {
    const v = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (v === undefined || v === null || v === "") texts.push(undefined);
    else if (typeof v === "string") texts.push(v);
    else if (Array.isArray(v) && v.every((p) => typeof p === "string"))
      texts.push(v.join("\n\n") || undefined);
    else {
      logProblem(sink.log, {
        kind: "malformed",
        line: lineNo,
        message: `key "${key}" is ${describe(v)}, expected a string or a list of strings`,
      });
      texts.push(undefined);
    }
  }
  sink.record(texts);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
