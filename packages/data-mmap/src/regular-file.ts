// Opening only regular files: a dataset or cache path that names a FIFO would block open(2) until some
// writer appears (a hang), a directory fails on the first read with a message that names no file, and a
// device can be endless. The check is a stat(2) before the open, which never blocks.
import { statSync } from "node:fs";
import { RandomAccessFile } from "./random-access-file";

function kind(mode: ReturnType<typeof statSync>): string {
  if (mode?.isDirectory()) return "a directory";
  if (mode?.isFIFO()) return "a FIFO (named pipe)";
  if (mode?.isSocket()) return "a socket";
  if (mode?.isCharacterDevice() || mode?.isBlockDevice()) return "a device";
  return "not a regular file";
}

/** Opens `path` for positional reads if it is a regular file (after symlinks); throws ENOENT as open does. */
export function openRegularFile(path: string): RandomAccessFile {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st && !st.isFile()) throw new Error(`${path}: ${kind(st)}, not a regular file`);
  return new RandomAccessFile(path);
}
