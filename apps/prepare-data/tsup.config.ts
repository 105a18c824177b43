import { defineConfig } from "tsup";

export default defineConfig({
  // The worker thread's script is its own entry: worker-pool.ts loads ./worker.js next to the bundle.
  entry: ["src/index.ts", "src/worker.ts"],
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  clean: true,
  target: "node20",
});
