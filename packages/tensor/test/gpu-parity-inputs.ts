// Inputs of the GPU op parity table (gpu-parity-cases.ts): one seeded generator drawn in the
// order the case modules are evaluated, so every run builds the same inputs.
import { floatToBf16, floatToF16 } from "../src/index";
import { randn, rng } from "./helpers/gradcheck";

export const r = rng(7);
export const f32 = (n: number, scale = 1) => randn(n, r, scale);
export const bf16 = (n: number, scale = 1) => Uint16Array.from(randn(n, r, scale), floatToBf16);
export const f16 = (n: number) => Uint16Array.from(randn(n, r), floatToF16);
export const zeros = (n: number) => new Float32Array(n);
export const nans = (n: number) => new Float32Array(n).fill(Number.NaN);
export const ints = (n: number, below: number, negEvery = 0) =>
  Int32Array.from({ length: n }, (_, i) => (negEvery && i % negEvery === 1 ? -1 : Math.floor(r() * below)));
