// Shared by the prepare-data tests: arguments with defaults, a stderr that records what it hears,
// the thread count of this process, and listing leftovers in a directory.
import { readdirSync, readFileSync } from "node:fs";
import type { PrepareArgs } from "../src/args";

export function prepareArgs(over: Partial<PrepareArgs>): PrepareArgs {
  return {
    input: [],
    jsonlKeys: ["text"],
    numDocs: undefined,
    tokenizerType: "CharLevelTokenizer",
    vocabFile: undefined,
    mergeFile: undefined,
    appendEod: false,
    outputPrefix: "",
    workers: 1,
    logInterval: 100,
    strict: false,
    useDefault: false,
    ...over,
  };
}

export interface Captured {
  stderr: NodeJS.WriteStream;
  text: () => string;
}

export function capture(): Captured {
  const chunks: string[] = [];
  const stderr = { write: (s: string) => chunks.push(s) > 0, isTTY: false } as unknown as NodeJS.WriteStream;
  return { stderr, text: () => chunks.join("") };
}

/** Threads of this process now (Linux /proc), to see that worker threads were terminated. */
export function threadCount(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))![1]);
}

/** Names in `dir` that start with `prefix` (outputs and temporaries of one run). */
export function leftovers(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .sort();
}
