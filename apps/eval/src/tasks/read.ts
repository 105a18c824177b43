// Reading a task's local files with errors that name the file, the line and what was expected.
import { existsSync, readFileSync } from "node:fs";
import { TaskDataError } from "./types";

export function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new TaskDataError(`${what}: ${path} does not exist`);
  return readFileSync(path, "utf8");
}

/** Non-empty lines of a JSONL file, each parsed to an object. */
export function readJsonl(path: string, what: string): { line: number; value: Record<string, unknown> }[] {
  const out: { line: number; value: Record<string, unknown> }[] = [];
  readText(path, what)
    .split("\n")
    .forEach((raw, i) => {
      if (raw.trim() === "") return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new TaskDataError(`${path}:${i + 1}: not valid JSON (${(err as Error).message})`);
      }
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw new TaskDataError(`${path}:${i + 1}: expected a JSON object per line`);
      out.push({ line: i + 1, value: value as Record<string, unknown> });
    });
  return out;
}

export function stringField(path: string, line: number, obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  if (typeof v !== "string")
    throw new TaskDataError(`${path}:${line}: "${key}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}
