// Applies each edit of a table to a workspace copy, one at a time, and compares the task hashes
// turbo computes before and after: every task the edit can affect must get a new hash, every other
// task must keep its own.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { dryRunHashes, type TaskHashes } from "./dry-run";
import { readWorkspace, withDependents } from "./graph";
import type { WorkspaceCopy } from "./workspace-copy";

export interface EditRow {
  /** What a contributor changes, in words. */
  what: string;
  /** The file, relative to the repository root, or under `$SHARED/` for the reference folder beside it. */
  file: string;
  /** Append a line to an existing file (default), or create a new file. */
  kind?: "append" | "create";
  /** Packages whose task must get a new hash, or "all". */
  affects: readonly string[] | "all";
  /** Whether the packages that depend on `affects` (directly or not) are affected too. */
  dependents: boolean;
}

export interface RowResult {
  row: EditRow;
  /** Tasks that should have a new hash but kept the old one (a stale result would be replayed). */
  missing: string[];
  /** Tasks that got a new hash though the edit cannot affect them (a needless rerun). */
  extra: string[];
}

function resolveFile(copy: WorkspaceCopy, file: string): string {
  return file.startsWith("$SHARED/")
    ? join(copy.shared, file.slice("$SHARED/".length))
    : join(copy.root, file);
}

function changedTasks(before: TaskHashes, after: TaskHashes): Set<string> {
  const out = new Set<string>();
  for (const [id, hash] of after) if (before.get(id) !== hash) out.add(id);
  return out;
}

export function checkEdits(copy: WorkspaceCopy, rows: readonly EditRow[], task = "test"): RowResult[] {
  const ws = readWorkspace(copy.root);
  const baseline = dryRunHashes(copy.root, task);
  const results: RowResult[] = [];
  for (const row of rows) {
    const path = resolveFile(copy, row.file);
    const create = row.kind === "create";
    if (existsSync(path) === create) {
      throw new Error(
        `${row.file}: ${create ? "already exists" : "does not exist"} (table row "${row.what}")`,
      );
    }
    const original = create ? undefined : readFileSync(path);
    if (create) mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      create ? "export const edited = 1;\n" : Buffer.concat([original!, Buffer.from("\n// edited\n")]),
    );
    let after: TaskHashes;
    try {
      after = dryRunHashes(copy.root, task);
    } finally {
      if (original === undefined) rmSync(path);
      else writeFileSync(path, original);
    }
    const pkgs =
      row.affects === "all"
        ? [...ws.deps.keys()]
        : [...(row.dependents ? withDependents(ws, row.affects) : new Set(row.affects))];
    const expected = new Set(pkgs.map((p) => `${p}#${task}`).filter((id) => baseline.has(id)));
    const changed = changedTasks(baseline, after);
    results.push({
      row,
      missing: [...expected].filter((id) => !changed.has(id)).sort(),
      extra: [...changed].filter((id) => !expected.has(id)).sort(),
    });
  }
  return results;
}

/** One line per row that failed, for an assertion message. */
export function describeFailures(results: readonly RowResult[]): string[] {
  return results
    .filter((r) => r.missing.length > 0 || r.extra.length > 0)
    .map(
      (r) =>
        `${r.row.what} (${r.row.file}): ` +
        [
          r.missing.length ? `kept the old hash: ${r.missing.join(", ")}` : "",
          r.extra.length ? `new hash though unaffected: ${r.extra.join(", ")}` : "",
        ]
          .filter(Boolean)
          .join("; "),
    );
}
