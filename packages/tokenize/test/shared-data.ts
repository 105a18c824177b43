// Locates ../shared/data next to the repository. Under CI a missing folder fails the test; elsewhere the
// test is skipped with a printed reason.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SHARED_DATA = resolve(REPO_ROOT, "../shared/data");

export function sharedDataOrSkip(): string | undefined {
  if (existsSync(SHARED_DATA)) return SHARED_DATA;
  if (process.env.CI === "true")
    throw new Error(`CI: ${SHARED_DATA} is missing; the tokenizer tests need it`);
  console.warn(`skipping: ${SHARED_DATA} not found (tokenizer files and test vectors live there)`);
  return undefined;
}

/** Reads llama.cpp's vocab test files: strings split by "\n__ggml_vocab_test__\n", one id line each. */
export function readVectors(inp: string, out: string): { text: string; ids: number[] }[] {
  const texts = inp.split("\n__ggml_vocab_test__\n");
  if (texts[texts.length - 1] === "") texts.pop();
  const lines = out.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (texts.length !== lines.length) throw new Error(`${texts.length} strings but ${lines.length} id lines`);
  return texts.map((text, i) => ({
    text,
    ids: lines[i]!.trim() === "" ? [] : lines[i]!.trim().split(/\s+/).map(Number),
  }));
}
