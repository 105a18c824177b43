// A throwaway copy of the working tree (tracked files and untracked ones git does not ignore) in a
// temporary folder, committed to a fresh git repository so turbo hashes it exactly as it hashes the
// real one. A small `shared/` folder beside it stands in for the reference data outside the clone.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface WorkspaceCopy {
  /** The copied repository root. */
  root: string;
  /** The stand-in for `../shared` beside it. */
  shared: string;
  remove(): void;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });

export function copyWorkspace(repo: string): WorkspaceCopy {
  const top = mkdtempSync(join(tmpdir(), "neox-turbo-inputs-"));
  const root = join(top, "repo");
  const files = git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    .split("\0")
    .filter((f) => f.length > 0 && existsSync(join(repo, f)));
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    cpSync(join(repo, f), join(root, f));
  }
  // turbo finds itself (and the workspace's package manager) through the root node_modules.
  symlinkSync(join(repo, "node_modules"), join(root, "node_modules"), "dir");

  const shared = join(top, "shared");
  for (const f of ["data/SOURCES.md", "data/corpora/sample.txt", "reference/neox-spec.md"]) {
    mkdirSync(dirname(join(shared, f)), { recursive: true });
    writeFileSync(join(shared, f), `stand-in for ../shared/${f}\n`);
  }

  git(root, "init", "-q");
  git(root, "add", "-A");
  git(
    root,
    "-c",
    "user.name=neox",
    "-c",
    "user.email=neox@localhost",
    "commit",
    "-q",
    "--no-verify",
    "-m",
    "copy",
  );
  return { root, shared, remove: () => rmSync(top, { recursive: true, force: true }) };
}
