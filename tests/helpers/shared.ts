// The shared reference folder beside the repository. Tests that read it fail, never skip, when
// CI=true and it is missing.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { REPO_ROOT } from "./run-neox";

export const SHARED = resolve(REPO_ROOT, "../shared");

export function haveShared(): boolean {
  if (existsSync(SHARED)) return true;
  if (process.env.CI === "true")
    throw new Error(`shared reference folder missing: ${SHARED} (required when CI=true)`);
  console.warn(`skipping: ${SHARED} not found`);
  return false;
}
