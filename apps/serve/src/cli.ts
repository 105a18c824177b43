// The `neox` command's entry for serve. For a server, SIGINT/SIGTERM is the ordinary way to stop,
// so a stop that closed cleanly exits 0. The command's own handling reports any verb stopped by a
// signal as interrupted (exit 128 + the signal number), so after a clean stop this entry exits
// here, before the command sees the signal (stdout and stderr are pipes or files, written
// synchronously on Linux, so nothing printed is lost).
import { main } from "./main";

export async function serveFromCli(argv: string[], ctx: { signal: AbortSignal }): Promise<number> {
  const code = await main(argv, ctx);
  if (ctx.signal.aborted && code === 0) process.exit(0);
  return code;
}
