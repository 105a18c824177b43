#!/usr/bin/env node
// Installed entry point: runs the built CLI. Inside the repository `pnpm -s neox` runs the sources.
// A failure to load the CLI itself is one line too (the stack only with NEOX_DEBUG=1).
import("../dist/bin.js").catch((err) => {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/bin.js")) {
    console.error(
      "neox: the CLI is not built (tried apps/cli/dist/bin.js). Run `pnpm build`, or use `pnpm -s neox` inside the repository.",
    );
    process.exit(2);
  }
  const debug = process.env.NEOX_DEBUG === "1";
  const detail = debug ? (err?.stack ?? String(err)) : String(err?.message ?? err).replace(/\s*\n\s*/g, " ");
  console.error(`neox: could not load the CLI: ${detail}`);
  process.exit(1);
});
