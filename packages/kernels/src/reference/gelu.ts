// Float64 references for kernels/cpu/gelu.cc and glu.cc (formulas in kernels/cpu/gelu-math.h):
// exact GELU 0.5·x·(1 + erf(x/√2)), tanh GELU 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), SiLU x·σ(x).
// erf/erfc are computed here in float64 by the Maclaurin series (|x| < 1.5) and the continued
// fraction of erfc (|x| >= 1.5, 200 terms), both to near double precision, independent of the kernels'
// polynomials; Φ(x) = erfc(-x/√2)/2 keeps relative accuracy in the lower tail.

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

function erfSeries(a: number): number {
  // 2/√π Σ (-1)^k a^(2k+1) / (k!(2k+1))
  let term = a;
  let sum = a;
  const a2 = a * a;
  for (let k = 1; k < 200; k++) {
    term *= -a2 / k;
    const t = term / (2 * k + 1);
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** erfc(x) with relative accuracy ~1e-14 for x >= 0 (the tail) and ~1e-16 absolute elsewhere. */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 1.5) return 1 - erfSeries(x);
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated backwards.
  let f = 0;
  for (let k = 200; k >= 1; k--) f = k / 2 / (x + f);
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
}

export function erf(x: number): number {
  return Math.abs(x) < 1.5 ? Math.sign(x) * erfSeries(Math.abs(x)) : Math.sign(x) * (1 - erfc(Math.abs(x)));
}

/** The standard normal CDF Φ(x). */
export const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

export function geluValue(x: number, tanhApprox: boolean): number {
  if (tanhApprox) return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + CUBIC * x * x * x)));
  return x * normalCdf(x);
}

export function geluGrad(x: number, tanhApprox: boolean): number {
  if (tanhApprox) {
    const t = Math.tanh(SQRT_2_OVER_PI * (x + CUBIC * x * x * x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * CUBIC * x * x);
  }
  return normalCdf(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const siluValue = (x: number): number => x * sigmoid(x);
export function siluGrad(x: number): number {
  const s = sigmoid(x);
  return s * (1 + x * (1 - s));
}

export function geluForward(out: Float64Array, inp: Float64Array, n: number, tanhApprox: boolean): void {
  for (let i = 0; i < n; i++) out[i] = geluValue(inp[i]!, tanhApprox);
}

export function geluBackward(
  dinp: Float64Array,
  dout: Float64Array,
  inp: Float64Array,
  n: number,
  tanhApprox: boolean,
): void {
  for (let i = 0; i < n; i++) dinp[i] = dout[i]! * geluGrad(inp[i]!, tanhApprox);
}
