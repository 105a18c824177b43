#!/usr/bin/env -S node --import tsx
import { resolve } from "node:path";
import { checkWorkspace } from "./check";

const root = resolve(process.argv[2] ?? ".");
const violations = checkWorkspace(root);
for (const v of violations) process.stderr.write(`${v.where}: [${v.rule}] ${v.message}\n`);
process.stderr.write(
  violations.length === 0 ? "check-deps: ok\n" : `check-deps: ${violations.length} violation(s)\n`,
);
process.exitCode = violations.length === 0 ? 0 : 1;
