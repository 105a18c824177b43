import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface WorkspacePackage {
  name: string;
  /** Directory relative to the workspace root, with forward slashes. */
  dir: string;
  declared: Set<string>;
}

export interface ImportSite {
  pkg: WorkspacePackage;
  /** File relative to the package directory. */
  file: string;
  line: number;
  specifier: string;
}

const SKIP_DIRS = new Set(["node_modules", "dist", "build", ".turbo", "fixtures", "bench-results"]);
const SOURCE_EXT = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const IMPORT_RE =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\bexport\s*\*\s*from\s*)["']([^"']+)["']/g;

/** Finds workspace packages: every package.json under packages/, apps/, tools/ and tests/. */
export function findPackages(root: string): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  const visit = (dir: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    if (entries.includes("package.json")) {
      const pj = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      const declared = new Set<string>([
        ...Object.keys(pj.dependencies ?? {}),
        ...Object.keys(pj.devDependencies ?? {}),
        ...Object.keys(pj.peerDependencies ?? {}),
        ...Object.keys(pj.optionalDependencies ?? {}),
      ]);
      out.push({ name: pj.name, dir: relative(root, dir).split("\\").join("/"), declared });
      return;
    }
    if (depth === 0) return;
    for (const e of entries) {
      if (SKIP_DIRS.has(e) || e.startsWith(".")) continue;
      const p = join(dir, e);
      if (statSync(p).isDirectory()) visit(p, depth - 1);
    }
  };
  for (const top of ["packages", "apps", "tools"]) visit(join(root, top), 1);
  visit(join(root, "tests"), 0);
  return out.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Every import specifier in a package's source, test and bench files. */
export function findImports(root: string, pkg: WorkspacePackage): ImportSite[] {
  const sites: ImportSite[] = [];
  const base = join(root, pkg.dir);
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      if (SKIP_DIRS.has(e) || e.startsWith(".")) continue;
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (SOURCE_EXT.test(e) && !e.endsWith(".d.ts")) {
        const text = readFileSync(p, "utf8");
        const file = relative(base, p).split("\\").join("/");
        for (const m of text.matchAll(IMPORT_RE)) {
          const line = text.slice(0, m.index).split("\n").length;
          sites.push({ pkg, file, line, specifier: m[1]! });
        }
      }
    }
  };
  walk(base);
  return sites;
}
