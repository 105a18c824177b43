import { defineConfig } from "tsup";

// dist/ is what the packed package ships (package.json publishConfig points `exports` at it).
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  clean: true,
  target: "node20", // engines: node >= 20
  // Keep `node:fs` as src writes it; the rewrite to "fs" only matters to Node versions before 14.18.
  removeNodeProtocol: false,
});
