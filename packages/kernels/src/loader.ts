// Finds and loads the native addon once. The same relative path works from src/ (tests, source
// runs) and from dist/ (the tsup build), since both sit one level below the package root.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The runtime functions every build of the addon exports (see packages/kernels/native). */
export interface NativeCore {
  alloc(bytes: number): number;
  free(address: number): void;
  view(address: number, bytes: number): ArrayBuffer;
  allocStats(): { liveBytes: number; totalBytes: number; calls: number; liveCount: number };
  residentBytes(address: number, bytes: number): number;
  isa(): string;
  setIsa(name: string): void;
  supportedIsas(): string[];
  numThreads(): number;
  setNumThreads(n: number): void;
  ops(): string[];
}

const ADDON_RELATIVE = ["../build/Release/neox_kernels.node", "../build/Debug/neox_kernels.node"];
const BUILD_HINT = "Run `pnpm --filter @neox/kernels build:native`.";

let cached: NativeCore | undefined;

/**
 * The paths tried, in order: build/Release, then build/Debug; or only $NEOX_KERNELS_ADDON when set
 * (an explicit choice must not fall back silently to another build).
 */
export function addonCandidates(): string[] {
  const env = process.env.NEOX_KERNELS_ADDON;
  if (env) return [env];
  return ADDON_RELATIVE.map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
}

/** Loads the addon (once); throws an error saying what was tried and what to run. */
export function native(): NativeCore {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of addonCandidates()) {
    if (!existsSync(path)) {
      tried.push(`${path} (missing)`);
      continue;
    }
    try {
      cached = require(path) as NativeCore;
      return cached;
    } catch (err) {
      const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
      // A bad NEOX_ISA / NEOX_NUM_THREADS is not a build problem: report it as is.
      if (/^NEOX_/.test(reason ?? "")) throw new Error(`native kernels: ${reason}`);
      tried.push(`${path} (${reason})`);
    }
  }
  throw new Error(
    `no native kernels for ${process.platform}-${process.arch}: tried ${tried.join(", ")}. ${BUILD_HINT}`,
  );
}

/** True when the addon loads; never throws. */
export function nativeAvailable(): boolean {
  try {
    native();
    return true;
  } catch {
    return false;
  }
}

/**
 * One native function by name, typed by the caller (ops/<group>.ts use this). Throws naming the
 * function when the loaded addon lacks it (an addon built before the op was added).
 */
export function nativeFunction<F>(name: string): F {
  const addon = native() as unknown as Record<string, unknown>;
  const fn = addon[name];
  if (typeof fn !== "function") {
    throw new Error(`native kernels: the loaded addon has no function "${name}". ${BUILD_HINT}`);
  }
  return fn as F;
}

/** A getter for one native function, looked up on first use and cached (for hot wrappers). */
export function lazyNative<F>(name: string): () => F {
  let fn: F | undefined;
  return () => {
    if (fn === undefined) fn = nativeFunction<F>(name);
    return fn;
  };
}
