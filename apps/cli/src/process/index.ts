// Process behaviour every `neox` verb gets from bin.ts: one-line errors, signals, EPIPE.
export {
  commandName,
  describeError,
  errorReport,
  exitCodeFor,
  printable,
  setCommandName,
  USAGE_EXIT,
} from "./errors";
export { EPIPE_EXIT, exitWithError, installFatalHandlers, writeStderr } from "./fatal";
export { installProcessHandlers } from "./install";
export {
  acceptInterrupt,
  exitInterrupted,
  GRACE_MS,
  InterruptedError,
  installSignalHandlers,
  interruptedExitCode,
  interruptSignal,
} from "./signals";
