#!/usr/bin/env node
// Installed entry point: runs the built CLI. Inside the repository `pnpm -s neox` runs the sources.
import("../dist/bin.js").catch((err) => {
  if (err?.code === "ERR_MODULE_NOT_FOUND") {
    console.error(
      "neox: the CLI is not built (tried apps/cli/dist/bin.js). Run `pnpm build`, or use `pnpm -s neox` inside the repository.",
    );
    process.exit(2);
  }
  throw err;
});
