// The workspace's package graph from its package.json files: who depends on whom, so the set of
// tasks an edit may affect is derived from the declared dependencies rather than written by hand.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface Workspace {
  /** Package name -> the workspace packages it declares (any dependency field). */
  deps: ReadonlyMap<string, readonly string[]>;
  /** Package directory (relative, forward slashes) -> package name. */
  byDir: ReadonlyMap<string, string>;
}

export function readWorkspace(root: string): Workspace {
  const manifests: { dir: string; pj: Record<string, Record<string, string> | string> }[] = [];
  const add = (dir: string) => {
    const p = join(root, dir, "package.json");
    if (statSync(p, { throwIfNoEntry: false })?.isFile())
      manifests.push({ dir, pj: JSON.parse(readFileSync(p, "utf8")) });
  };
  for (const top of ["packages", "apps", "tools"]) {
    for (const name of readdirSync(join(root, top))) add(`${top}/${name}`);
  }
  add("tests");
  const names = new Set(manifests.map((m) => m.pj.name as string));
  const deps = new Map<string, string[]>();
  const byDir = new Map<string, string>();
  for (const { dir, pj } of manifests) {
    const declared = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"].flatMap(
      (field) => Object.keys((pj[field] as Record<string, string> | undefined) ?? {}),
    );
    deps.set(
      pj.name as string,
      declared.filter((d) => names.has(d)),
    );
    byDir.set(dir, pj.name as string);
  }
  return { deps, byDir };
}

/** `pkgs` and every workspace package that depends on one of them, directly or not. */
export function withDependents(ws: Workspace, pkgs: readonly string[]): Set<string> {
  const out = new Set(pkgs);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, deps] of ws.deps) {
      if (!out.has(name) && deps.some((d) => out.has(d))) {
        out.add(name);
        grew = true;
      }
    }
  }
  return out;
}
