// Files written under a temporary name and renamed into place only when complete. A temporary is
// named `<final>.tmp-<pid>-<tag>`, so a later run can tell debris left by a dead process (its pid is
// gone) from a writer that is still running. Temporaries not yet committed when the process exits
// (an error, or a signal the command turned into `process.exit`) are removed synchronously.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const live = new Set<string>();
let exitHookInstalled = false;

function removeLiveTemporaries(): void {
  for (const tmp of live) rmSync(tmp, { force: true });
  live.clear();
}

/** A fresh temporary path for `finalPath`, removed at process exit unless committed or discarded. */
export function tempPathFor(finalPath: string): string {
  if (!exitHookInstalled) {
    process.on("exit", removeLiveTemporaries);
    exitHookInstalled = true;
  }
  const tmp = `${finalPath}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  live.add(tmp);
  return tmp;
}

/** Flushes a directory entry (a rename or a new file) to disk. Best effort where unsupported. */
export function fsyncDir(dir: string): void {
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

/**
 * Renames `tmp` onto `finalPath`. With `durable`, the directory entry is fsynced too, so a
 * rename that returned survives a crash (callers fsync the file's data before this).
 */
export function commitTemp(tmp: string, finalPath: string, durable = true): void {
  renameSync(tmp, finalPath);
  live.delete(tmp);
  if (durable) fsyncDir(dirname(finalPath));
}

/** Removes `tmp` (if present) and forgets it. */
export function discardTemp(tmp: string): void {
  rmSync(tmp, { force: true });
  live.delete(tmp);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // alive, owned by another user
  }
}

const TEMP_SUFFIX = /\.tmp-(\d+)-[0-9a-z]*$/;

/**
 * Removes temporaries of `finalPath` left by processes that no longer run (a crash, SIGKILL).
 * Returns the paths removed. A temporary of a live process is left alone.
 */
export function removeStaleTemporaries(finalPath: string): string[] {
  const dir = dirname(finalPath);
  const prefix = `${basename(finalPath)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = TEMP_SUFFIX.exec(name);
    if (!m || name.length !== prefix.length - 5 + m[0].length) continue; // not exactly <final>.tmp-<pid>-<tag>
    if (processAlive(Number(m[1]))) continue;
    const path = join(dir, name);
    rmSync(path, { force: true });
    removed.push(path);
  }
  return removed;
}
