// SIGINT, SIGTERM and SIGHUP for every verb. The first signal aborts the AbortSignal the running verb
// was given; a verb that listens on it (prepare-data stops reading, terminates its worker threads and
// discards its temporaries) gets up to GRACE_MS to settle, any other verb exits at once. Then one line,
// `neox <verb>: interrupted (SIGINT), temporary files removed`, and exit 128 + the signal number
// (130, 143, 129), as a shell reports a process killed by that signal. A second signal exits at once.
// A verb whose normal way to stop is a signal (`neox serve`) settles with its own exit code instead:
// the command calls `acceptInterrupt` once the verb has stopped cleanly.
//
// Temporaries registered through @neox/data-mmap's tempPathFor are removed by its `exit` hook, which
// process.exit runs; worker threads end with the process. The line is printed from an `exit` listener
// added after that hook, so it is written once the temporaries are gone.

import { getEventListeners } from "node:events";
import { writeSync } from "node:fs";
import { commandName } from "./errors";

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type HandledSignal = keyof typeof SIGNAL_NUMBERS;

/** How long a verb that listens on the abort signal may take to stop before the process exits anyway. */
export const GRACE_MS = 5000;

const controller = new AbortController();
let received: HandledSignal | undefined;
let accepted = false; // the verb stopped cleanly on the signal (acceptInterrupt)
let grace: NodeJS.Timeout | undefined;
let installed = false;

/** Raised through the abort signal: `signal.reason` when a verb was interrupted. */
export class InterruptedError extends Error {
  constructor(readonly signal: HandledSignal) {
    super(`interrupted (${signal})`);
    this.name = "InterruptedError";
  }
}

/** The signal handed to verbs; aborted (reason: InterruptedError) on the first SIGINT/SIGTERM/SIGHUP. */
export function interruptSignal(): AbortSignal {
  return controller.signal;
}

/** The exit code of the signal received, or undefined when none was (or the verb accepted it). */
export function interruptedExitCode(): number | undefined {
  return received && !accepted ? 128 + SIGNAL_NUMBERS[received] : undefined;
}

/** The running verb stopped cleanly on the signal, its ordinary way to stop: its own exit code stands. */
export function acceptInterrupt(): void {
  accepted = true;
  if (grace) clearTimeout(grace);
}

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const sig of Object.keys(SIGNAL_NUMBERS) as HandledSignal[]) process.on(sig, () => onSignal(sig));
}

function onSignal(sig: HandledSignal): void {
  if (received) {
    exitInterrupted(); // a second signal: no more waiting
    return;
  }
  received = sig;
  // Counted before aborting: a listener added with { once: true } is gone once it has run.
  const listening = getEventListeners(controller.signal, "abort").length > 0;
  controller.abort(new InterruptedError(sig));
  if (!listening) {
    exitInterrupted();
    return;
  }
  grace = setTimeout(exitInterrupted, GRACE_MS); // kept referenced: the process must not end silently meanwhile
}

/** Prints the interrupted line (after temporaries are removed) and exits 128 + the signal number. */
export function exitInterrupted(): never {
  const sig = received ?? "SIGINT";
  process.on("exit", () => {
    try {
      writeSync(2, `${commandName()}: interrupted (${sig}), temporary files removed\n`);
    } catch {
      // stderr is gone; the exit code still tells
    }
  });
  process.exit(128 + SIGNAL_NUMBERS[sig]);
}
