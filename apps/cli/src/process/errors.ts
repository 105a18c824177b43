// What a user sees when a command fails: one line on stderr, `neox <verb>: <message>`, whatever was
// thrown and from wherever (a verb's code, a worker thread, an event handler). The stack is printed
// only with NEOX_DEBUG=1. The exit code is the error's own `exitCode` when it carries one (usage
// errors carry 2), else 1.

/** The command running now, for the prefix of every line this module prints ("neox data samples"). */
let command = "neox";

export function setCommandName(name: string): void {
  command = name;
}

export function commandName(): string {
  return command;
}

export function debugEnabled(): boolean {
  return process.env.NEOX_DEBUG === "1";
}

/** Exit code of a usage error: bad flags or arguments (POSIX shells and argparse use 2). */
export const USAGE_EXIT = 2;

/** `err.exitCode` when it is a small positive integer (usage errors set 2), else 1. */
export function exitCodeFor(err: unknown): number {
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === "number" && Number.isInteger(code) && code > 0 && code < 126 ? code : 1;
}

// Errors that come from a bug rather than from the user's input (an unwrapped JSON.parse error names
// no file, a TypeError no argument): the line says so and how to see the stack. RangeError is not in
// the list: code throws it for values out of range, with a message meant for the user.
const INTERNAL = new Set(["TypeError", "ReferenceError", "SyntaxError", "EvalError"]);

// Limits of Node and V8 that surface as terse messages; each is restated with the limit it hit.
const RUNTIME_LIMITS: { test: (e: NodeJS.ErrnoException) => boolean; say: string }[] = [
  {
    test: (e) => e.code === "ERR_STRING_TOO_LONG" || /Cannot create a string longer than/.test(e.message),
    say: "a value is larger than V8's string limit of 536,870,888 characters (0x1fffffe8)",
  },
  {
    test: (e) => /Array buffer allocation failed|Invalid (typed )?array length/.test(e.message),
    say: "an allocation failed: the data is larger than this process can hold in memory",
  },
  {
    test: (e) => /Maximum call stack size exceeded/.test(e.message),
    say: "the input is nested too deeply (V8's call stack limit)",
  },
  {
    test: (e) => e.code === "ERR_FS_FILE_TOO_LARGE" || e.code === "ERR_BUFFER_TOO_LARGE",
    say: "a file is larger than Node can read into one buffer",
  },
  { test: (e) => e.code === "ENOSPC", say: "the disk is full" },
  { test: (e) => e.code === "EMFILE" || e.code === "ENFILE", say: "too many open files" },
  {
    test: (e) => e.code === "ERR_WORKER_OUT_OF_MEMORY",
    say: "a worker thread ran out of memory (its heap limit)",
  },
];

/** The one line for `err`, without the command prefix. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return printable(String(err));
  const msg = printable(err.message || err.name);
  const limit = RUNTIME_LIMITS.find((l) => l.test(err as NodeJS.ErrnoException));
  if (limit) return `${limit.say} (${msg})`;
  if (INTERNAL.has(err.name) && !hasOwnExitCode(err)) {
    const hint = debugEnabled() ? "" : "; NEOX_DEBUG=1 prints the stack";
    return `${msg} (internal ${err.name}${hint})`;
  }
  return msg;
}

function hasOwnExitCode(err: Error): boolean {
  return typeof (err as { exitCode?: unknown }).exitCode === "number";
}

/**
 * The text to print for an error that reached the top: one line, plus the stack and its causes
 * under NEOX_DEBUG=1, plus a pointer to --help for a usage error.
 */
export function errorReport(err: unknown, name = command): string {
  let out = `${name}: ${describeError(err)}\n`;
  if (exitCodeFor(err) === USAGE_EXIT) out += `\nRun \`${name} --help\` for usage.\n`;
  if (debugEnabled()) out += stackOf(err);
  return out;
}

function stackOf(err: unknown): string {
  let out = "";
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++)
    out += `${depth > 0 ? "caused by: " : ""}${e.stack ?? e.message}\n`;
  return out;
}

const MAX_LINE = 2000;
// C0 controls except tab and newline (folded separately), DEL and C1 controls.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * `s` as one printable line: newlines folded into "; ", other control characters (from binary
 * arguments or input) escaped as \xNN so they cannot move the cursor or recolour the terminal, and
 * the whole capped at MAX_LINE characters.
 */
export function printable(s: string): string {
  const folded = s
    .replace(/\s*(?:\r\n|\r|\n)\s*/g, "; ")
    .replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
    .replace(/\t/g, " ");
  return folded.length > MAX_LINE ? `${folded.slice(0, MAX_LINE)}… (${folded.length} characters)` : folded;
}
