// Locates the shared reference folder (../shared beside the repository). Tests that read it fail,
// never skip, when CI=true and it is missing.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const SHARED = resolve(REPO_ROOT, "../shared");
export const NEOX_CONFIGS = resolve(SHARED, "reference/neox-configs");

/** True when the shared folder exists; throws under CI when it does not. */
export function haveShared(): boolean {
  if (existsSync(SHARED)) return true;
  if (process.env.CI === "true")
    throw new Error(`shared reference folder missing: ${SHARED} (required when CI=true)`);
  console.warn(`skipping: ${SHARED} not found`);
  return false;
}
