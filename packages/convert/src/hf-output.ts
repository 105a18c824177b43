// An output directory written whole or not at all: everything goes into a temporary directory
// beside it, which is renamed into place at the end. An existing non-empty directory is refused
// unless the caller says to replace it.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ConvertError } from "./hf-map";

export interface StagedOutput {
  /** Where to write now. */
  tmp: string;
  /** Where it ends up. */
  final: string;
  /** Renames tmp into place (replacing what was there, when allowed). */
  commit(): void;
  /** Removes tmp. */
  abort(): void;
}

export function stageOutput(out: string, overwrite: boolean): StagedOutput {
  const final = resolve(out);
  if (existsSync(final)) {
    if (!statSync(final).isDirectory()) throw new ConvertError(`${out}: exists and is not a directory`);
    if (readdirSync(final).length > 0 && !overwrite)
      throw new ConvertError(`${out}: exists and is not empty; choose another directory or pass --overwrite`);
  }
  mkdirSync(dirname(final), { recursive: true });
  const tmp = join(
    dirname(final),
    `.${basename(final)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  );
  mkdirSync(tmp);
  return {
    tmp,
    final,
    commit() {
      let trash: string | null = null;
      if (existsSync(final)) {
        trash = `${tmp}-old`;
        renameSync(final, trash);
      }
      renameSync(tmp, final);
      if (trash) rmSync(trash, { recursive: true, force: true });
    },
    abort() {
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
