// Starts the tokenizer worker from TypeScript sources (the repository's `pnpm neox`, tests): Node 20
// does not apply the parent's `--import tsx` loader to a worker's own .ts entry, so the worker
// registers tsx's loader in its own thread first, then loads worker.ts.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
