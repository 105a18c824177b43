// `onnx-export` as a program of its own (`node --import tsx src/onnx/export-main.ts --input ...`),
// for the package script and for tests that run the export as a process: parses the flags, exports,
// prints one line naming the file, its size and its inputs; an error is one line and exit code 1.
import { onnxExport } from "./export";
import { parseOnnxExportArgs } from "./export-args";

try {
  const r = onnxExport(parseOnnxExportArgs(process.argv.slice(2)));
  process.stdout.write(`onnx-export: ${r.output} (${r.bytes} bytes; inputs ${r.inputs.join(", ")})\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
