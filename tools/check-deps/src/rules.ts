// The package graph of DESIGN §2, as data. An edge not listed here is a violation.

/** Library packages (by short name, `@neox/<name>`) and the packages each may import. */
export const LIBRARY_EDGES: Readonly<Record<string, readonly string[]>> = {
  config: [],
  tokenize: [],
  "data-mmap": [],
  kernels: [],
  monitor: [],
  tensor: ["kernels"],
  parallel: ["tensor", "kernels"],
  models: ["tensor", "config"],
  trainer: ["models", "parallel", "tensor", "data-mmap", "monitor", "config"],
  convert: ["models", "tensor", "config"],
  launch: ["config"],
};

/** `models/src/<arch>/parallelize.ts` alone may import `@neox/parallel`. */
export const MODELS_PARALLELIZE_FILE = /^src\/[^/]+\/parallelize\.ts$/;

export type Kind = "library" | "app" | "cli" | "tests" | "tool";

export function kindOf(pkgName: string, relDir: string): Kind {
  if (pkgName === "@neox/app-cli") return "cli";
  if (relDir.startsWith("apps/")) return "app";
  if (relDir === "tests" || relDir.startsWith("tests/")) return "tests";
  if (relDir.startsWith("tools/")) return "tool";
  return "library";
}

export function shortName(pkgName: string): string {
  return pkgName.replace(/^@neox\//, "");
}

/**
 * Whether package `from` (its kind and name) may import `target` (a package name), given the file
 * (relative to the importing package) that holds the import. Returns a reason when it may not.
 */
export function edgeViolation(
  from: { name: string; kind: Kind },
  target: { name: string; kind: Kind },
  file: string,
): string | undefined {
  if (from.kind === "tool") return `tools import no @neox package`;
  if (from.kind === "tests") return undefined;
  if (target.kind === "tests" || target.kind === "tool") return `${target.name} is not importable`;
  if (target.kind === "cli") return `nothing imports the cli`;
  if (from.kind === "cli") return undefined; // any package, and apps (their index exports main)
  if (from.kind === "app") {
    return target.kind === "app"
      ? "apps never import each other (only apps/cli may import an app's main)"
      : undefined;
  }
  // library
  if (target.kind !== "library") return "a package never imports an app";
  const src = shortName(from.name);
  const dst = shortName(target.name);
  const allowed = LIBRARY_EDGES[src];
  if (!allowed) return `${from.name} is not a package listed in DESIGN §2`;
  if (allowed.includes(dst)) return undefined;
  if (src === "models" && dst === "parallel" && MODELS_PARALLELIZE_FILE.test(file)) return undefined;
  return `${from.name} may import only [${allowed.map((a) => `@neox/${a}`).join(", ")}] (DESIGN §2)`;
}
