// Reads a tokenizer file (vocab.json, merges.txt, tokenizer.json, tokenizer.model) after checking
// what it is: a FIFO or a device would block or stream for ever, a directory fails obscurely, and a
// multi-gigabyte file would be read whole before anything could say it is not a tokenizer. The
// callers wrap the thrown message with the tokenizer type and what file was expected.
import { readFileSync, statSync } from "node:fs";

/** The largest tokenizer file read (real ones are at most tens of MB). */
export const MAX_TOKENIZER_FILE_BYTES = 1 << 30;

function kindOf(st: import("node:fs").Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a regular file";
}

export function readTokenizerBytes(path: string): Buffer {
  const st = statSync(path); // ENOENT and EACCES carry their own message
  if (!st.isFile()) throw new Error(`it is ${kindOf(st)}`);
  if (st.size > MAX_TOKENIZER_FILE_BYTES) {
    throw new Error(`it is ${(st.size / 2 ** 30).toFixed(1)} GiB, over the 1 GiB limit for tokenizer files`);
  }
  return readFileSync(path);
}

export function readTokenizerText(path: string): string {
  return readTokenizerBytes(path).toString("utf8");
}
