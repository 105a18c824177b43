import { dirname, resolve, sep } from "node:path";
import { edgeViolation, kindOf } from "./rules";
import { findImports, findPackages, type WorkspacePackage } from "./scan";

export interface Violation {
  rule: "edge" | "cycle" | "deep-import" | "path-import" | "undeclared";
  where: string;
  message: string;
}

/** Checks a workspace root against DESIGN §2. Returns every violation found. */
export function checkWorkspace(root: string): Violation[] {
  const pkgs = findPackages(root);
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const violations: Violation[] = [];
  const graph = new Map<string, Set<string>>(pkgs.map((p) => [p.name, new Set()]));

  for (const pkg of pkgs) {
    const from = { name: pkg.name, kind: kindOf(pkg.name, pkg.dir) };
    for (const site of findImports(root, pkg)) {
      const where = `${pkg.dir}/${site.file}:${site.line}`;
      const into = relativeInto(root, pkg, site.file, site.specifier, pkgs);
      if (into) {
        violations.push({
          rule: "path-import",
          where,
          message: `"${site.specifier}" reaches into ${into.name} by path: import "${into.name}" (declared in package.json)`,
        });
        continue;
      }
      const target = resolveWorkspace(site.specifier, byName);
      if (!target) continue;
      const { pkg: dst, subpath } = target;
      if (dst.name === pkg.name) continue;
      if (subpath !== "") {
        violations.push({
          rule: "deep-import",
          where,
          message: `deep import "${site.specifier}": import "${dst.name}" (its index.ts is the public API)`,
        });
      }
      if (!pkg.declared.has(dst.name)) {
        violations.push({
          rule: "undeclared",
          where,
          message: `${pkg.name} imports ${dst.name} without declaring it in package.json`,
        });
      }
      const reason = edgeViolation(from, { name: dst.name, kind: kindOf(dst.name, dst.dir) }, site.file);
      if (reason) {
        violations.push({ rule: "edge", where, message: `${pkg.name} -> ${dst.name}: ${reason}` });
      }
      graph.get(pkg.name)!.add(dst.name);
    }
  }
  for (const cycle of findCycles(graph)) {
    violations.push({ rule: "cycle", where: cycle[0]!, message: `import cycle: ${cycle.join(" -> ")}` });
  }
  return violations;
}

/** The other workspace package a relative specifier lands in, if any (shared root files are fine). */
function relativeInto(
  root: string,
  pkg: WorkspacePackage,
  file: string,
  spec: string,
  pkgs: readonly WorkspacePackage[],
): WorkspacePackage | undefined {
  if (!spec.startsWith(".")) return undefined;
  const target = resolve(root, pkg.dir, dirname(file), spec);
  const inside = (dir: string) => target.startsWith(`${resolve(root, dir)}${sep}`);
  if (inside(pkg.dir)) return undefined;
  return pkgs.find((p) => p !== pkg && inside(p.dir));
}

function resolveWorkspace(
  spec: string,
  byName: Map<string, WorkspacePackage>,
): { pkg: WorkspacePackage; subpath: string } | undefined {
  if (!spec.startsWith("@neox/")) return undefined;
  const parts = spec.split("/");
  const name = `${parts[0]}/${parts[1]}`;
  const pkg = byName.get(name);
  return pkg ? { pkg, subpath: parts.slice(2).join("/") } : undefined;
}

/** Cycles in a directed graph, each reported once as a closed path. */
export function findCycles(graph: Map<string, Set<string>>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (n: string) => {
    state.set(n, "open");
    stack.push(n);
    for (const m of [...(graph.get(n) ?? [])].sort()) {
      if (state.get(m) === "open") cycles.push(canonicalCycle(stack.slice(stack.indexOf(m))));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

/** Rotates a cycle so it starts at its smallest name, then closes it: [b, a] -> [a, b, a]. */
function canonicalCycle(nodes: string[]): string[] {
  const start = nodes.indexOf([...nodes].sort()[0]!);
  const rotated = [...nodes.slice(start), ...nodes.slice(0, start)];
  return [...rotated, rotated[0]!];
}
