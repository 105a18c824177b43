// GPT-NeoX's weight initialisation (megatron/model/init_functions.py, neox-spec §1.1), seeded and
// drawn on the host so that the weights depend on the seed and the parameter's name only: not on
// thread counts, not on the order in which layers are built, not on the device.
//   normal                         N(0, σ)                      σ = init_method_std (0.02)
//   scaled_normal                  N(0, σ / sqrt(2·L))          L = num_layers
//   single_residual_scaled_normal  N(0, σ / sqrt(L))
//   small_init                     N(0, sqrt(2 / (5·d)))        d = hidden_size (Nguyen & Salazar 2019)
//   wang_init                      N(0, 2 / (L·sqrt(d)))        (Wang, Mesh-Transformer-JAX)
//   xavier_normal                  N(0, sqrt(2 / (fan_in + fan_out)))      per weight (Glorot 2010)
//   xavier_uniform                 U(-b, b), b = sqrt(6 / (fan_in + fan_out))
// with torch's fans for a weight [out, in, ...]: fan_out = out·r, fan_in = in·r, r = the product of
// the remaining dimensions. `orthogonal` (a QR of every weight at build time) is not built.
// GPT-NeoX uses init_method for the embeddings, QKV, mlp.linear1 and final_linear, and
// output_layer_init_method for attention.dense and mlp.linear2; biases start at 0, norm weights
// at 1 and norm biases at 0.

export type InitMethod =
  | "normal"
  | "scaled_normal"
  | "single_residual_scaled_normal"
  | "small_init"
  | "wang_init"
  | "xavier_normal"
  | "xavier_uniform";

export const INIT_METHODS: readonly InitMethod[] = [
  "normal",
  "scaled_normal",
  "single_residual_scaled_normal",
  "small_init",
  "wang_init",
  "xavier_normal",
  "xavier_uniform",
];

/**
 * How one parameter starts: normal draws, uniform draws, Glorot's draws sized by the parameter's
 * own fans, or a constant (norm weights, biases).
 */
export type Init =
  | { kind: "normal"; std: number }
  | { kind: "uniform"; bound: number }
  | { kind: "xavier_normal" }
  | { kind: "xavier_uniform" }
  | { kind: "constant"; value: number };

/** The Init an init method gives, for init_method_std σ, num_layers L and hidden_size d. */
export function initFor(method: InitMethod, sigma: number, L: number, d: number): Init {
  if (method === "xavier_normal" || method === "xavier_uniform") return { kind: method };
  return { kind: "normal", std: initStd(method, sigma, L, d) };
}

/** The standard deviation a normal init method gives, for num_layers L and hidden_size d. */
export function initStd(
  method: Exclude<InitMethod, "xavier_normal" | "xavier_uniform">,
  sigma: number,
  L: number,
  d: number,
): number {
  switch (method) {
    case "normal":
      return sigma;
    case "scaled_normal":
      return sigma / Math.sqrt(2 * L);
    case "single_residual_scaled_normal":
      return sigma / Math.sqrt(L);
    case "small_init":
      return Math.sqrt(2 / (5 * d));
    case "wang_init":
      return 2 / (L * Math.sqrt(d));
  }
}

// FNV-1a over the name's UTF-16 code units: a parameter's stream is chosen by its name.
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// mulberry32 (Tommy Ettinger): a 32-bit state generator, ample for weight init and identical on
// every platform since it uses only 32-bit integer arithmetic.
function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** torch's fans of a weight [out, in, ...]; fewer than 2 dimensions is refused, as torch refuses it. */
export function fans(shape: readonly number[], name: string): { fanIn: number; fanOut: number } {
  if (shape.length < 2)
    throw new Error(
      `init: xavier needs a weight with 2 or more dimensions; ${name} is [${shape.join(", ")}]`,
    );
  const r = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * r, fanOut: shape[0]! * r };
}

/** Fill `out` (a parameter of `shape`) with the values `init` gives the parameter `name` under `seed`. */
export function initValues(
  out: Float32Array,
  init: Init,
  name: string,
  seed: number,
  shape: readonly number[] = [out.length],
): void {
  if (init.kind === "constant") {
    out.fill(init.value);
    return;
  }
  // Seed and name mixed so that seeds s and s+1 give unrelated streams for every parameter.
  const next = mulberry32(hashName(name) ^ Math.imul((seed >>> 0) + 0x9e3779b9, 0x85ebca6b));
  if (init.kind === "uniform" || init.kind === "xavier_uniform") {
    let bound = 0;
    if (init.kind === "uniform") bound = init.bound;
    else {
      const { fanIn, fanOut } = fans(shape, name);
      bound = Math.sqrt(6 / (fanIn + fanOut));
    }
    for (let i = 0; i < out.length; i++) out[i] = (2 * next() - 1) * bound;
    return;
  }
  let std = 0;
  if (init.kind === "normal") std = init.std;
  else {
    const { fanIn, fanOut } = fans(shape, name);
    std = Math.sqrt(2 / (fanIn + fanOut));
  }
  for (let i = 0; i < out.length; i += 2) {
    // Box-Muller: two independent normals from two uniforms in (0, 1].
    const u1 = 1 - next();
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
}
