import { installFatalHandlers } from "./fatal";
import { installSignalHandlers } from "./signals";

/** Installs the signal, uncaught-error and EPIPE handlers; bin.ts calls this before anything else. */
export function installProcessHandlers(): void {
  installSignalHandlers();
  installFatalHandlers();
}
