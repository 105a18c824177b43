// Float64 reference for kernels/cpu/glu.cc: gated units in GPT-NeoX's layout, each input row of 2C
// is [x ‖ gate] and the output is act(gate)·x (megatron/model/transformer.py Gated_Activation).
import { geluGrad, geluValue, siluGrad, siluValue } from "./gelu";
import { reluGrad, reluValue } from "./relu";

/** act(gate): 0 SwiGLU (SiLU), 1 GeGLU (exact GELU), 2 GeGLU with the tanh GELU, 3 ReGLU (ReLU). */
export type GluKindCode = 0 | 1 | 2 | 3;

function act(g: number, kind: GluKindCode): number {
  if (kind === 3) return reluValue(g);
  return kind === 0 ? siluValue(g) : geluValue(g, kind === 2);
}
function actGrad(g: number, kind: GluKindCode): number {
  if (kind === 3) return reluGrad(g);
  return kind === 0 ? siluGrad(g) : geluGrad(g, kind === 2);
}

export function gluForward(
  out: Float64Array,
  inp: Float64Array,
  N: number,
  C: number,
  kind: GluKindCode,
): void {
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) out[n * C + c] = act(inp[n * 2 * C + C + c]!, kind) * inp[n * 2 * C + c]!;
}

export function gluBackward(
  dinp: Float64Array,
  dout: Float64Array,
  inp: Float64Array,
  N: number,
  C: number,
  kind: GluKindCode,
): void {
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const x = inp[n * 2 * C + c]!;
      const g = inp[n * 2 * C + C + c]!;
      const d = dout[n * C + c]!;
      dinp[n * 2 * C + c] = d * act(g, kind);
      dinp[n * 2 * C + C + c] = d * x * actGrad(g, kind);
    }
}
