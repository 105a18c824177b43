// The `neox` command as a child process that keeps running while the test watches it (signals,
// progress), and an async runner that lets several commands run at once (each spawn costs about a
// second of TypeScript loading, so a matrix of cases runs a few at a time).
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "./run-neox";

const TSX_LOADER = pathToFileURL(resolve(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const BIN = resolve(REPO_ROOT, "apps/cli/src/bin.ts");

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** Resolves with everything written so far once `test` matches the stderr seen so far. */
  stderrMatching: (test: RegExp, timeoutMs?: number) => Promise<string>;
  done: Promise<Finished>;
}

export function spawnNeox(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Running {
  const child = spawn(process.execPath, ["--conditions=@neox/source", "--import", TSX_LOADER, BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, FORCE_COLOR: "0", NEOX_DEBUG: "", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { test: RegExp; resolve: (s: string) => void }[] = [];
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => {
    stderr += d;
    for (const w of waiters.splice(0)) {
      if (w.test.test(stderr)) w.resolve(stderr);
      else waiters.push(w);
    }
  });
  const done = new Promise<Finished>((res) =>
    child.on("close", (code, signal) => res({ code, signal, stdout, stderr })),
  );
  const stderrMatching = (test: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((res, rej) => {
      if (test.test(stderr)) return res(stderr);
      const timer = setTimeout(
        () => rej(new Error(`no ${test} on stderr in ${timeoutMs} ms:\n${stderr}`)),
        timeoutMs,
      );
      waiters.push({
        test,
        resolve: (s) => {
          clearTimeout(timer);
          res(s);
        },
      });
      void done.then((f) => rej(new Error(`exited (${f.code ?? f.signal}) before ${test}:\n${f.stderr}`)));
    });
  return { child, stderrMatching, done };
}

/** Runs `neox args` to the end. */
export function runNeoxAsync(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Finished> {
  return spawnNeox(args, opts).done;
}

/** Runs `jobs` with at most `n` at a time; results in the jobs' order. */
export async function inBatches<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}
