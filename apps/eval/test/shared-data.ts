// ../shared/data next to the repository (tokenizer files, the eval task files). A missing folder
// skips the tests that need it, with the reason printed.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SHARED_DATA = resolve(REPO_ROOT, "../shared/data");

export function sharedData(sub: string): string | undefined {
  const p = resolve(SHARED_DATA, sub);
  if (existsSync(p)) return p;
  console.warn(`skipping: ${p} not found`);
  return undefined;
}
