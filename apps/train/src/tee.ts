// GPT-NeoX's log files (megatron/logging.py, neox-spec §1.9): with log_dir set, everything the run
// prints to stdout and stderr is also appended to <log_dir>/<hostname>_stdout.txt and
// _stderr.txt, so a cluster job's console survives the terminal. Synchronous appends: a crash
// loses nothing printed before it.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

type Write = typeof process.stdout.write;

/** Starts teeing stdout and stderr into `logDir`; returns the function that stops it. */
export function teeToLogDir(logDir: string): () => void {
  mkdirSync(logDir, { recursive: true });
  const host = hostname();
  const restore = [
    tee(process.stdout, join(logDir, `${host}_stdout.txt`)),
    tee(process.stderr, join(logDir, `${host}_stderr.txt`)),
  ];
  return () => {
    for (const r of restore) r();
  };
}

function tee(stream: NodeJS.WriteStream, path: string): () => void {
  const fd = openSync(path, "a");
  const original: Write = stream.write;
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    try {
      if (typeof chunk === "string") writeSync(fd, chunk);
      else writeSync(fd, chunk as Uint8Array);
    } catch {
      // a full disk must not stop training; the console still has the line
    }
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Write;
  return () => {
    stream.write = original;
    closeSync(fd);
  };
}
