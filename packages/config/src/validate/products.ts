// Bounds on products of sizes. Each size can be within its own bound (validate/ranges) while their
// product is not: micro-batch × accumulation × data-parallel ranks, samples over a whole run, the
// parameter count. Past 2^53 a double no longer counts exactly (sample indices, token counts), and
// past 2^50 parameters the weights alone (4 PiB in fp32) exceed any machine.
import type { Derived } from "../derive";
import { type Problem, preview } from "../problems";
import { BOUNDS } from "./ranges";

const EXACT = 2 ** 53;
const MAX_PARAMETERS = 2 ** 50;

const int = (v: unknown): number | null =>
  typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : null;

const big = (n: number) => (n >= 1e6 ? n.toExponential(2) : n.toLocaleString("en-US"));

export function sizeProblems(values: Readonly<Record<string, unknown>>, d: Readonly<Derived>): Problem[] {
  const problems: Problem[] = [];
  const T = d.train_batch_size;
  if (T !== null && Number.isFinite(T) && T > BOUNDS.batch && int(values.train_batch_size) === null) {
    problems.push({
      kind: "range",
      key: "train_micro_batch_size_per_gpu",
      message: `train_batch_size = micro-batch ${d.train_micro_batch_size_per_gpu} × gradient_accumulation_steps ${d.gradient_accumulation_steps} × data-parallel size ${d.data_parallel_size} = ${big(T)}, over the bound of ${BOUNDS.batch.toLocaleString("en-US")} sequences per step`,
    });
  }
  const iters = int(values.train_iters);
  if (T !== null && iters !== null && T * iters > EXACT) {
    problems.push({
      kind: "range",
      key: "train_iters",
      message: `train_iters ${preview(iters)} × train_batch_size ${preview(T)} = ${big(T * iters)} samples, beyond 2^53 where sample indices stop being exact`,
    });
  }
  const layers = int(values.num_layers);
  const hidden = int(values.hidden_size);
  const l1 = d.mlp_linear1_out_features;
  const l2 = d.mlp_linear2_in_features;
  if (l1 !== null && l2 !== null && (!Number.isFinite(l1) || l1 > 2 * BOUNDS.ffn)) {
    problems.push({
      kind: "range",
      key: values.intermediate_size != null ? "intermediate_size" : "expansion_factor",
      message: `the MLP would be ${big(l1)} wide, over the bound of ${(2 * BOUNDS.ffn).toLocaleString("en-US")} (the widest MLPs are ~75,000)`,
    });
  } else if (layers !== null && hidden !== null && l1 !== null && l2 !== null) {
    // per layer: Q, K, V and the output projection (at most 4h²), then the two MLP linears
    const params = layers * (4 * hidden * hidden + hidden * l1 + l2 * hidden);
    if (params > MAX_PARAMETERS)
      problems.push({
        kind: "range",
        key: "hidden_size",
        message: `${layers} layers of width ${hidden} make about ${big(params)} parameters, over 2^50 (${big(MAX_PARAMETERS)}; 4 PiB of fp32 weights, more memory than any machine has)`,
      });
  }
  const pp = int(values.pipe_parallel_size);
  if (pp !== null && layers !== null && pp > layers) {
    problems.push({
      kind: "combination",
      key: "pipe_parallel_size",
      message: `pipe_parallel_size (${pp}) is more than num_layers (${layers}): every pipeline stage needs at least one layer`,
    });
  }
  return problems;
}
