// Float64 reference for kernels/cpu/silu.cc: SiLU x·σ(x) (the value and derivative live in gelu.ts,
// shared with SwiGLU's reference).
import { siluGrad, siluValue } from "./gelu";

export function siluForward(out: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = siluValue(inp[i]!);
}

export function siluBackward(dinp: Float64Array, dout: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) dinp[i] = dout[i]! * siluGrad(inp[i]!);
}
