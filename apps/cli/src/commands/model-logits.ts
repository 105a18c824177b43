// `neox model logits`: one forward pass of the model a config builds, on the token ids given, with
// the seeded initial weights or a checkpoint's (`--load`). What it prints is what a converted or
// trained checkpoint is compared by: the loss, the argmax at every position, the first logits of
// every position and the whole last-position vector. The loss is recomputed here from the fp32
// logits in float64 (log-sum-exp per position), not taken from the fp32 cross-entropy kernel, so two
// implementations' numbers differ only by their logits.
import { GptNeoXModel, loadWeights, ModelConfigError, sequenceLogits } from "@neox/models";
import { parseArgv, UsageError } from "../argv";
import { keyProblem, printProblems, resolveModelConfig } from "./model-config";

const COMMAND = "neox model logits";

export interface LogitsReport {
  num_tokens: number;
  /** The padded vocabulary: the length of every logits vector. */
  vocab_size: number;
  /** Mean next-token cross-entropy over num_tokens - 1 predictions (float64); null for one token. */
  loss: number | null;
  per_position_first8: number[][];
  per_position_argmax: number[];
  last_logits: number[];
  top5: { id: number; logit: number }[];
}

/** `--tokens 1,2,3`: decimal ids, checked for syntax here and against the model after it is built. */
function parseTokens(text: string | undefined): number[] {
  if (text === undefined)
    throw new UsageError("--tokens is required (comma-separated token ids, e.g. --tokens 1,2,3)");
  return text.split(",").map((part) => {
    if (!/^[0-9]{1,15}$/.test(part))
      throw new UsageError(`--tokens expects comma-separated decimal token ids, got "${part}" in "${text}"`);
    return Number(part);
  });
}

export async function logits(argv: string[]): Promise<number> {
  const args = parseArgv(argv, {
    values: ["--world-size", "--load", "--tokens"],
    repeat: ["--set"],
    bools: ["--json"],
  });
  if (args.positional.length === 0) throw new UsageError("needs at least one config file");
  const ids = parseTokens(args.values.get("--tokens"));
  // --world-size is accepted as model info accepts it; one forward here is tensor-parallel size 1.
  const { resolved, problems } = await resolveModelConfig(args);
  let model: GptNeoXModel | undefined;
  if (problems.length === 0) {
    try {
      model = GptNeoXModel.fromConfig(resolved);
    } catch (err) {
      if (!(err instanceof ModelConfigError)) throw err;
      problems.push(keyProblem(resolved, err.key, err.message));
    }
  }
  if (!model) return printProblems(COMMAND, problems);

  const { V, seqLength } = model.spec;
  const bad = ids.find((id) => id >= V);
  if (bad !== undefined)
    throw new UsageError(`--tokens: token id ${bad} is not below the padded vocabulary size ${V}`);
  if (ids.length > seqLength)
    throw new UsageError(`--tokens: ${ids.length} tokens, more than seq_length ${seqLength}`);

  let weights = `seeded initialisation (seed ${model.spec.seed})`;
  const load = args.values.get("--load");
  if (load !== undefined) {
    let loaded: ReturnType<typeof loadWeights>;
    try {
      loaded = loadWeights(model, load, { extra: "ignore" });
    } catch (err) {
      process.stderr.write(`${COMMAND}: --load ${String((err as Error)?.message ?? err).split("\n")[0]}\n`);
      return 1;
    }
    const x = loaded.extra;
    if (x.length > 0)
      process.stderr.write(
        `note: --load: ignored ${x.length} tensor(s) that name no parameter: ${x.slice(0, 5).join(", ")}${x.length > 5 ? ", ..." : ""}\n`,
      );
    weights = `${loaded.via} (${loaded.loaded} parameters from ${loaded.files.length} file(s)${loaded.sequential > 0 ? `, ${loaded.sequential} by GPT-NeoX's sequential names` : ""})`;
  }

  const out = sequenceLogits(model, ids);
  const report = logitsReport(out, ids, V);
  model.dispose();
  if (args.bools.has("--json")) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(renderLogits(args.positional, weights, report));
  return 0;
}

/** The report from logits (T·V, fp32) of tokens `ids`: loss in float64, argmax ties to the lowest id. */
export function logitsReport(logits: Float32Array, ids: readonly number[], V: number): LogitsReport {
  const T = ids.length;
  const row = (t: number) => logits.subarray(t * V, (t + 1) * V);
  const argmax = (r: Float32Array) => {
    let best = 0;
    for (let i = 1; i < r.length; i++) if (r[i]! > r[best]!) best = i;
    return best;
  };
  let nll = 0;
  for (let t = 0; t + 1 < T; t++) {
    const r = row(t);
    const max = r[argmax(r)]!;
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(r[i]! - max);
    nll += max + Math.log(sum) - r[ids[t + 1]!]!;
  }
  const last = Array.from(row(T - 1));
  const top5 = last
    .map((logit, id) => ({ id, logit }))
    .sort((a, b) => b.logit - a.logit || a.id - b.id)
    .slice(0, 5);
  return {
    num_tokens: T,
    vocab_size: V,
    loss: T > 1 ? nll / (T - 1) : null,
    per_position_first8: Array.from({ length: T }, (_, t) => Array.from(row(t).subarray(0, 8))),
    per_position_argmax: Array.from({ length: T }, (_, t) => argmax(row(t))),
    last_logits: last,
    top5,
  };
}

function renderLogits(files: readonly string[], weights: string, r: LogitsReport): string {
  const lines = [
    files.join(" "),
    `weights     ${weights}`,
    `num_tokens  ${r.num_tokens}`,
    `vocab_size  ${r.vocab_size} (padded)`,
    `loss        ${r.loss === null ? "none (one token: nothing to predict)" : `${r.loss.toFixed(6)} (mean next-token cross-entropy over ${r.num_tokens - 1} prediction(s))`}`,
    `argmax      ${r.per_position_argmax.join(" ")}`,
    "top5 at the last position:",
    ...r.top5.map(({ id, logit }) => `  ${String(id).padStart(8)}  ${logit.toFixed(6)}`),
  ];
  return `${lines.join("\n")}\n`;
}
