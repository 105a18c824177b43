// The GPU op parity table: every case (gpu-parity-dense.ts, gpu-parity-train.ts, evaluated in this
// order, so the inputs' draws are fixed) and what runs and compares them (gpu-parity-run.ts). Used
// by ops-parity.gpu.test.ts (vitest) and by tools/gpu/parity-runner.ts (plain Node on the GPU
// machine, which has no node_modules).
import { cases as dense } from "./gpu-parity-dense";
import type { Case } from "./gpu-parity-run";
import { cases as train } from "./gpu-parity-train";

export * from "./gpu-parity-run";
export const cases: Case[] = [...dense, ...train];
