// Reads one config file as UTF-8 text, refusing what cannot be a config before any parsing: a path
// that does not exist, a directory, a FIFO or device (reading one would block or never end), a file
// over MAX_CONFIG_BYTES (checked by stat, then by a bounded read, so a 100 MB file costs one stat),
// a UTF-16/32 byte-order mark, and bytes that are not UTF-8 (named by byte offset and line).
// A UTF-8 byte-order mark is dropped, as PyYAML does.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from "node:fs";
import type { Problem } from "../problems";
import { formatBytes, LIMIT_HINT, MAX_CONFIG_BYTES } from "./limits";

export type ReadResult = { text: string; problem?: undefined } | { text?: undefined; problem: Problem };

const io = (file: string, message: string): ReadResult => ({ problem: { kind: "io", file, message } });

function kindOf(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "not a regular file";
}

function notRegular(file: string, what: string): ReadResult {
  return io(
    file,
    what === "a directory"
      ? `is a directory, not a config file; give the YAML files inside it (for example ${file.replace(/\/+$/, "")}/*.yml)`
      : `is ${what}, not a regular file; config files are read whole, so pipes and devices are refused (save the config to a file first)`,
  );
}

function tooLarge(file: string, size: number | string): ReadResult {
  return {
    problem: {
      kind: "limit",
      file,
      message: `the file is ${typeof size === "number" ? formatBytes(size) : size}, over the ${formatBytes(MAX_CONFIG_BYTES)} limit for a config file (GPT-NeoX's are under 20 KiB): ${LIMIT_HINT}`,
    },
  };
}

function errnoMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "cannot be read: permission denied";
    case "ENOTDIR":
      return "no such file (a part of the path is not a directory)";
    case "ELOOP":
      return "cannot be read: too many levels of symbolic links";
    case "ENAMETOOLONG":
      return "cannot be read: the path is too long";
    default:
      return `cannot be read (${e.code ?? (e instanceof Error ? e.message : String(e))})`;
  }
}

export function readConfigFile(file: string): ReadResult {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (err) {
    return io(file, errnoMessage(err));
  }
  const what = kindOf(st);
  if (what) return notRegular(file, what);
  if (st.size > MAX_CONFIG_BYTES) return tooLarge(file, st.size);

  let fd: number;
  try {
    // O_NONBLOCK: should the path have become a FIFO since the stat, opening it must not hang.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return io(file, errnoMessage(err));
  }
  try {
    const again = kindOf(fstatSync(fd));
    if (again) return notRegular(file, again);
    // One byte more than the limit tells a file that grew since the stat from one that fits.
    const buf = Buffer.allocUnsafe(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_CONFIG_BYTES) return tooLarge(file, `over ${formatBytes(MAX_CONFIG_BYTES)}`);
    }
    return decodeConfigBytes(buf.subarray(0, n), file);
  } catch (err) {
    return io(file, errnoMessage(err));
  } finally {
    closeSync(fd);
  }
}

const BOMS: readonly [number[], string][] = [
  [[0x00, 0x00, 0xfe, 0xff], "UTF-32BE"],
  [[0xff, 0xfe, 0x00, 0x00], "UTF-32LE"],
  [[0xfe, 0xff], "UTF-16BE"],
  [[0xff, 0xfe], "UTF-16LE"],
];

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 text of a config file's bytes, or the problem that says why it is not. */
export function decodeConfigBytes(bytes: Uint8Array, file: string): ReadResult {
  for (const [bom, name] of BOMS) {
    if (bom.every((b, i) => bytes[i] === b)) {
      const hex = bom.map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ");
      return io(file, `the file is ${name} (byte-order mark ${hex}); save it as UTF-8`);
    }
  }
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return { text: utf8.decode(body) };
  } catch {
    const at = firstInvalidUtf8(body);
    const offset = at + (body === bytes ? 0 : 3);
    let line = 1;
    for (let i = 0; i < at; i++) if (body[i] === 0x0a) line++;
    const hex = body[at]!.toString(16).toUpperCase().padStart(2, "0");
    return {
      problem: {
        kind: "io",
        file,
        line,
        message: `not valid UTF-8: byte 0x${hex} at byte offset ${offset}; config files are UTF-8 text (is this a binary file, or another encoding?)`,
      },
    };
  }
}

/** Index of the first byte that does not start or continue a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) need = 0;
    else if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if (x === undefined) return i;
      if (k === 1 ? x < lo || x > hi : x < 0x80 || x > 0xbf) return i;
    }
    i += need + 1;
  }
  return b.length;
}
