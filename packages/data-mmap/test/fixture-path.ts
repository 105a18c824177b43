import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "fixtures");

export function fixture(name: string): string {
  return resolve(FIXTURES, name);
}
