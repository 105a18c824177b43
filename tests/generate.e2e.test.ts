// `neox generate` end to end on the tiny Shakespeare checkpoint (tests/helpers/tiny-checkpoint.ts):
// unconditional and input-file samples with GPT-NeoX's JSONL fields checked against the tokenizer;
// the same seed reproduces the output file exactly (but for the timings), whatever --batch is;
// recompute true equals the KV cache under greedy; interactive mode driven through piped stdin,
// each completion shown before the next prompt is read; bad inputs named with their key or file.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CharLevelTokenizer } from "@neox/tokenize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runNeox } from "./helpers/run-neox";
import { haveShared } from "./helpers/shared";
import { inBatches, runNeoxAsync } from "./helpers/spawn-neox";
import { type TinyCheckpoint, tinyCheckpoint } from "./helpers/tiny-checkpoint";

const PROMPT = "Context prompt >>> ";
const FIELDS = ["context", "text", "length", "finished", "message", "duration_seconds", "token_ids"];
const tok = new CharLevelTokenizer();
const dir = mkdtempSync(join(tmpdir(), "neox-generate-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Sample {
  context: string;
  text: string | null;
  length: number;
  finished: boolean;
  message: string | null;
  duration_seconds: number;
  token_ids: number[];
}

function readJsonl(file: string): Sample[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Sample);
}

const withoutTimes = (xs: Sample[]) => xs.map(({ duration_seconds: _, ...rest }) => rest);

/** Each record is well formed and consistent with its own tokens. */
function checkRecord(r: Sample, maxTokens: number): void {
  expect(Object.keys(r)).toEqual(FIELDS);
  expect(r.length).toBe(r.token_ids.length);
  expect(r.length).toBeLessThanOrEqual(maxTokens);
  expect(r.token_ids.includes(tok.eod)).toBe(false); // the eod token ends a sample, unreturned
  if (r.length > 0) {
    expect(r.text).toBe(tok.decode(r.token_ids));
    expect(r.message).toBeNull();
  } else expect(r.text).toBeNull();
  // finished means the end-of-document token stopped it: never when the budget ran out first
  if (!r.finished) expect(r.length).toBe(maxTokens);
  expect(r.duration_seconds).toBeGreaterThan(0);
}

describe.runIf(haveShared())("neox generate on the tiny checkpoint", () => {
  let ckpt: TinyCheckpoint;
  beforeAll(async () => {
    ckpt = await tinyCheckpoint();
  }, 300_000);
  const gen = (...sets: string[]) => ["generate", ckpt.config, ...sets.flatMap((s) => ["--set", s])];

  it("unconditional: num_samples records from [eod]; a seed reproduces the file whatever --batch", async () => {
    const out = (name: string) => join(dir, `${name}.jsonl`);
    const sampled = ["text_gen_type=unconditional", "num_samples=5", "temperature=0.9", "top_p=0.95"];
    const runs = await inBatches(2, [
      () => runNeoxAsync([...gen(...sampled, "maximum_tokens=40", `sample_output_file=${out("a")}`)]),
      () =>
        runNeoxAsync([
          ...gen(...sampled, "maximum_tokens=40", `sample_output_file=${out("b")}`),
          "--batch",
          "2",
        ]),
      () => runNeoxAsync(gen(...sampled, "maximum_tokens=40", "seed=99", `sample_output_file=${out("c")}`)),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const a = readJsonl(out("a"));
    expect(a.length).toBe(5);
    for (const r of a) {
      checkRecord(r, 40);
      expect(r.context).toBe("");
    }
    // five different samples, not one repeated
    expect(new Set(a.map((r) => r.token_ids.join())).size).toBe(5);
    expect(withoutTimes(readJsonl(out("b")))).toEqual(withoutTimes(a));
    expect(withoutTimes(readJsonl(out("c")))).not.toEqual(withoutTimes(a));
    // the model learnt letters and spaces: samples are mostly lowercase letters and spaces
    const text = a.map((r) => r.text ?? "").join("");
    expect((text.match(/[a-z ]/g) ?? []).length / text.length).toBeGreaterThan(0.6);
  });

  it("input-file: prompts split, stripped, empties dropped; greedy recompute equals the KV cache", async () => {
    const input = join(dir, "prompts.txt");
    writeFileSync(input, "ROMEO:\n\n   First Citizen:  \n\t\nBut soft, what light\n");
    const cwd = mkdtempSync(join(dir, "cwd-"));
    const recomputed = join(dir, "recomputed.jsonl");
    const runs = await inBatches(2, [
      // sample_output_file null: GPT-NeoX's <input>.output.jsonl
      () => runNeoxAsync(gen(`sample_input_file=${input}`, "sample_output_file=null", "maximum_tokens=30")),
      () =>
        runNeoxAsync(
          gen(
            `sample_input_file=${input}`,
            `sample_output_file=${recomputed}`,
            "maximum_tokens=30",
            "recompute=true",
          ),
        ),
      // left at its default, the file is GPT-NeoX's samples.txt in the working directory
      () => runNeoxAsync(gen(`sample_input_file=${input}`, "maximum_tokens=30"), { cwd }),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const cached = readJsonl(`${input}.output.jsonl`);
    expect(cached.map((r) => r.context)).toEqual(["ROMEO:", "First Citizen:", "But soft, what light"]);
    for (const r of cached) checkRecord(r, 30);
    expect(withoutTimes(readJsonl(recomputed))).toEqual(withoutTimes(cached));
    expect(withoutTimes(readJsonl(join(cwd, "samples.txt")))).toEqual(withoutTimes(cached));
    expect(existsSync(join(dir, `.recomputed.jsonl.${process.pid}.tmp`))).toBe(false);
  });

  it("interactive: each completion is streamed before the next prompt is read", async () => {
    const input = join(dir, "two.txt");
    writeFileSync(input, "ROMEO:\nJULIET:\n");
    const ref = join(dir, "two.jsonl");
    const batch = await runNeoxAsync(
      gen(`sample_input_file=${input}`, `sample_output_file=${ref}`, "maximum_tokens=25"),
    );
    expect(batch.code, batch.stderr).toBe(0);
    const want = readJsonl(ref).map((r) => r.text ?? "");

    const child = spawnInteractive([...gen("text_gen_type=interactive", "maximum_tokens=25")]);
    try {
      child.stdin!.write("ROMEO:\n");
      // the first completion and the next prompt appear while stdin is still open
      expect(await stdoutUntil(child, `${PROMPT}${want[0]}\n${PROMPT}`)).toBe(
        `${PROMPT}${want[0]}\n${PROMPT}`,
      );
      child.stdin!.end("JULIET:\n");
      const code = await new Promise<number | null>((res) => child.on("close", res));
      expect(code).toBe(0);
      expect(output.get(child)).toBe(`${PROMPT}${want[0]}\n${PROMPT}${want[1]}\n${PROMPT}`);
    } finally {
      child.kill();
    }
  });

  it("bad inputs are named: a missing sample_input_file, a missing file, a prompt past the context, no load", () => {
    const long = join(dir, "long.txt");
    writeFileSync(long, `short\n${"x".repeat(129)}\n`);
    const noLoad = join(dir, "no-load.yml");
    writeFileSync(noLoad, readFileSync(ckpt.config, "utf8").replace(/^load: .*$/m, ""));
    const cases: [string[], RegExp][] = [
      [gen("text_gen_type=input-file"), /sample_input_file.*input-file needs sample_input_file/],
      [gen(`sample_input_file=${join(dir, "nope.txt")}`), /sample_input_file .*nope\.txt: cannot read it/],
      [
        gen(`sample_input_file=${long}`),
        /long\.txt prompt 2 is 129 tokens, longer than the 128-token context/,
      ],
      [["generate", noLoad], /needs `load`/],
    ];
    for (const [args, want] of cases) {
      const r = runNeox(args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(want);
      expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
    }
  });
});

// The interactive process needs a writable stdin, which the shared helpers do not give.
const output = new WeakMap<ChildProcess, string>();

function spawnInteractive(args: string[]): ChildProcess {
  const loader = pathToFileURL(resolve(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;
  const child = spawn(
    process.execPath,
    ["--conditions=@neox/source", "--import", loader, resolve(REPO_ROOT, "apps/cli/src/bin.ts"), ...args],
    { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: "0" }, stdio: ["pipe", "pipe", "pipe"] },
  );
  output.set(child, "");
  child.stdout!.on("data", (d) => output.set(child, output.get(child)! + d));
  return child;
}

function stdoutUntil(child: ChildProcess, text: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no "${text}" on stdout: ${output.get(child)}`)), timeoutMs);
    const check = () => {
      if (output.get(child)!.includes(text)) {
        clearTimeout(timer);
        child.stdout!.off("data", check);
        res(output.get(child)!);
      }
    };
    child.stdout!.on("data", check);
    child.on("close", () => rej(new Error(`exited before "${text}": ${output.get(child)}`)));
    check();
  });
}
