// The `neox` executable: process handlers first (signals, uncaught errors, EPIPE: see process/), then
// the command. `main` reports its own errors; a rejection here is a bug, still printed as one line.
import { main } from "./main";
import { exitInterrupted, exitWithError, installProcessHandlers, interruptedExitCode } from "./process";

installProcessHandlers();
let settled = false;
main(process.argv.slice(2)).then((code) => {
  settled = true;
  if (interruptedExitCode() !== undefined) exitInterrupted();
  process.exitCode = code;
}, exitWithError);
// A verb whose promise can no longer settle (it waits on nothing) would otherwise exit 0 in silence.
process.on("beforeExit", () => {
  if (!settled) exitWithError(new Error("the command stopped before finishing (it was waiting on nothing)"));
});
