// The last resort for errors no verb caught (a throw in an event handler, an unhandled rejection, an
// `error` event nobody listens to) and for stdout closing under us: one line, never a stack trace
// (unless NEOX_DEBUG=1), and a defined exit code.

import { writeSync } from "node:fs";
import { errorReport, exitCodeFor } from "./errors";
import { exitInterrupted, interruptedExitCode } from "./signals";

/**
 * Exit code when stdout's reader has gone (`neox data samples ... | head -1`): 128 + SIGPIPE, what a
 * shell reports for a C tool that the closed pipe killed. Nothing is printed; the reader chose to stop.
 */
export const EPIPE_EXIT = 141;

export function writeStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr itself is closed or broken: there is no one left to tell
  }
}

/** Reports `err` as one line and exits; during an interrupt, finishes the interrupt instead. */
export function exitWithError(err: unknown): never {
  if (interruptedExitCode() !== undefined) exitInterrupted(); // errors of a verb being torn down
  writeStderr(errorReport(err));
  process.exit(exitCodeFor(err));
}

function isEpipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === "EPIPE";
}

export function installFatalHandlers(): void {
  process.on("uncaughtException", (err) => (isEpipe(err) ? process.exit(EPIPE_EXIT) : exitWithError(err)));
  process.on("unhandledRejection", (reason) => exitWithError(reason));
  process.stdout.on("error", (err) => (isEpipe(err) ? process.exit(EPIPE_EXIT) : exitWithError(err)));
  // A broken stderr has no reader to report to; keep going and let the exit code speak.
  process.stderr.on("error", () => {});
}
