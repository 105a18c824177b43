// The process behaviour every verb gets: one-line errors (in process), and signals, uncaught errors
// and EPIPE in a real child process running fixtures/process-child.ts under the real handlers.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../src/argv";
import { describeError, errorReport, exitCodeFor, printable } from "../src/process";

const here = dirname(fileURLToPath(import.meta.url));
const TSX = pathToFileURL(resolve(here, "../../../node_modules/tsx/dist/loader.mjs")).href;
const CHILD = join(here, "fixtures/process-child.ts");
const dir = mkdtempSync(join(tmpdir(), "neox-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("one-line errors", () => {
  const debug = process.env.NEOX_DEBUG;
  afterEach(() => {
    if (debug === undefined) delete process.env.NEOX_DEBUG;
    else process.env.NEOX_DEBUG = debug;
  });

  it("a message with newlines, control characters and great length stays one printable line", () => {
    expect(printable("first\nsecond\r\nthird")).toBe("first; second; third");
    expect(printable("bad \x1b[31mred\x07 \x00")).toBe("bad \\x1b[31mred\\x07 \\x00");
    const long = printable("y".repeat(5000));
    expect(long.length).toBeLessThan(2100);
    expect(long).toMatch(/… \(5000 characters\)$/);
  });

  it("exit codes: a usage error 2, an error's own small exitCode, anything else 1", () => {
    expect(exitCodeFor(new UsageError("x"))).toBe(2);
    expect(exitCodeFor(Object.assign(new Error("x"), { exitCode: 3 }))).toBe(3);
    expect(exitCodeFor(Object.assign(new Error("x"), { exitCode: 300 }))).toBe(1);
    expect(exitCodeFor("a string")).toBe(1);
    expect(exitCodeFor(undefined)).toBe(1);
  });

  it("runtime limits are named; a bug says it is one and how to see the stack", () => {
    const tooLong = Object.assign(new Error("Cannot create a string longer than 0x1fffffe8 characters"), {
      code: "ERR_STRING_TOO_LONG",
    });
    expect(describeError(tooLong)).toMatch(/V8's string limit of 536,870,888 characters/);
    expect(describeError(new RangeError("Array buffer allocation failed"))).toMatch(/allocation failed/);
    expect(describeError(Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" }))).toMatch(
      /^the disk is full/,
    );
    delete process.env.NEOX_DEBUG;
    expect(describeError(new TypeError("x is undefined"))).toBe(
      "x is undefined (internal TypeError; NEOX_DEBUG=1 prints the stack)",
    );
    expect(describeError(new Error("plain"))).toBe("plain");
    expect(describeError(42)).toBe("42");
  });

  it("the report is one line; a usage error adds a pointer to --help; NEOX_DEBUG=1 adds the stack and causes", () => {
    delete process.env.NEOX_DEBUG;
    const err = new Error("outer", { cause: new Error("inner") });
    expect(errorReport(err, "neox x")).toBe("neox x: outer\n");
    expect(errorReport(new UsageError("--bad"), "neox x")).toBe(
      "neox x: --bad\n\nRun `neox x --help` for usage.\n",
    );
    process.env.NEOX_DEBUG = "1";
    const debugReport = errorReport(err, "neox x");
    expect(debugReport.split("\n")[0]).toBe("neox x: outer");
    expect(debugReport).toMatch(/\n {4}at /);
    expect(debugReport).toContain("caused by: Error: inner");
  });
});

interface Run {
  child: ChildProcess;
  tmp: Promise<string>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }>;
}

function start(mode: string, env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ["--conditions=@neox/source", "--import", TSX, CHILD, mode, dir], {
    env: { ...process.env, NEOX_DEBUG: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const t0 = performance.now();
  const tmp = new Promise<string>((res) => {
    child.stdout!.on("data", (d) => {
      stdout += d;
      if (stdout.includes("ready\n")) res(stdout.split("\n")[0]!);
    });
  });
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
    ms: number;
  }>((res) => child.on("close", (code, signal) => res({ code, signal, stderr, ms: performance.now() - t0 })));
  return { child, tmp, done };
}

describe("signals, uncaught errors and EPIPE in a real process", () => {
  it.concurrent("SIGINT: a listening verb stops, one line, exit 130, its temporary removed", async () => {
    const r = start("graceful");
    const tmp = await r.tmp;
    expect(existsSync(tmp)).toBe(true);
    r.child.kill("SIGINT");
    const out = await r.done;
    expect([out.code, out.stderr]).toEqual([
      130,
      "neox test: interrupted (SIGINT), temporary files removed\n",
    ]);
    expect(existsSync(tmp)).toBe(false);
  });

  it.concurrent("SIGTERM on a verb that does not listen: exit 143 at once", async () => {
    const r = start("deaf");
    const tmp = await r.tmp;
    const t = performance.now();
    r.child.kill("SIGTERM");
    const out = await r.done;
    expect([out.code, out.stderr]).toEqual([
      143,
      "neox test: interrupted (SIGTERM), temporary files removed\n",
    ]);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(existsSync(tmp)).toBe(false);
  });

  it.concurrent("a second signal ends a verb that does not stop, well before the grace period", async () => {
    const r = start("stubborn");
    const tmp = await r.tmp;
    const t = performance.now();
    r.child.kill("SIGINT");
    await new Promise((res) => setTimeout(res, 300));
    expect(r.child.exitCode).toBe(null); // still in its grace period
    r.child.kill("SIGINT");
    const out = await r.done;
    expect([out.code, out.stderr]).toEqual([
      130,
      "neox test: interrupted (SIGINT), temporary files removed\n",
    ]);
    expect(performance.now() - t).toBeLessThan(2500); // the grace period is 5 s
    expect(existsSync(tmp)).toBe(false);
  });

  it.concurrent("an exception thrown in a timer: one line, exit 1, no stack; NEOX_DEBUG=1 shows it", async () => {
    const quiet = await start("throw-later").done;
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toBe(
      "neox test: cannot read properties of undefined (reading 'x') (internal TypeError; NEOX_DEBUG=1 prints the stack)\n",
    );
    const loud = await start("throw-later", { NEOX_DEBUG: "1" }).done;
    expect(loud.code).toBe(1);
    expect(loud.stderr.split("\n")[0]).toBe(
      "neox test: cannot read properties of undefined (reading 'x') (internal TypeError)",
    );
    expect(loud.stderr).toMatch(/\n {4}at /);
  });

  it.concurrent("an unhandled rejection: one line with its message folded, exit 1", async () => {
    const r = start("reject-later");
    const tmp = await r.tmp;
    const out = await r.done;
    expect([out.code, out.stderr]).toEqual([1, "neox test: first line; second line\n"]);
    expect(existsSync(tmp)).toBe(false); // the exit hook ran
  });

  it.concurrent("stdout's reader going away (| head -1) ends the command quietly with 141", async () => {
    const r = start("flood");
    await r.tmp;
    r.child.stdout!.destroy();
    const out = await r.done;
    expect([out.code, out.signal, out.stderr]).toEqual([141, null, ""]);
  });
});
