// Float64 reference for kernels/cpu/relu.cc (and ReGLU's activation in glu.cc): F.relu, whose
// derivative is taken as 0 at x = 0 (torch's threshold_backward), NaN passing through the value.

export function reluValue(x: number): number {
  return Number.isNaN(x) ? x : Math.max(x, 0);
}
export function reluGrad(x: number): number {
  return x > 0 ? 1 : 0;
}

export function reluForward(out: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = reluValue(inp[i]!);
}

export function reluBackward(dinp: Float64Array, dout: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) dinp[i] = dout[i]! * reluGrad(inp[i]!);
}
