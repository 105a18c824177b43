// Paths the argument tests read: the repository's configs/ folder and the shared reference
// folder (../shared beside the repository), which must exist when CI=true.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const CONFIGS_DIR = resolve(REPO_ROOT, "configs");
export const NEOX_SPEC = resolve(REPO_ROOT, "../shared/reference/neox-spec.md");
export const FIELDS_FIXTURE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "fixtures/neox-args-fields.json",
);

/** True when `path` exists; under CI a missing shared file is an error, elsewhere a printed skip. */
export function sharedFileAvailable(path: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI === "true") throw new Error(`${path} is missing; CI needs the shared reference folder`);
  console.warn(`skipping: ${path} not found (the shared reference folder is not beside the repository)`);
  return false;
}
