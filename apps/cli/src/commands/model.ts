// `neox model info`: parameter count, FLOPs per token and memory by component for a config, computed
// from the config alone (no weights are allocated, so a 70B config answers at once).
// `neox model logits` (model-logits.ts): one forward pass, seeded weights or a checkpoint's.
import { type ModelInfo, ModelReportError, modelInfo, type ParamEntry, WeightLoadError } from "@neox/models";
import { parseArgv, runSubcommands, UsageError } from "../argv";
import { keyProblem, printProblems, resolveModelConfig } from "./model-config";
import { logits } from "./model-logits";

const USAGE = `usage: neox model info CONFIGS... [--world-size N] [--set key=value ...] [--params] [--json]
       neox model logits CONFIGS... --tokens ID,ID,... [--load DIR] [--set key=value ...] [--json]

info    parameter count (total and non-embedding, as GPT-NeoX and Pythia count them), training FLOPs
        per token by GPT-NeoX's formula (model FLOPs for MFU; hardware FLOPs for HFU, with the
        recompute of checkpoint_activations), and memory by component: weights, gradients and
        optimizer state (whole model, and per GPU at the world size), activations of one
        micro-batch with and without activation checkpointing. No weights are allocated.
        --params also lists every parameter by GPT-NeoX's name with its shape.
        --json prints one object: parameters, non_embedding_parameters, flops_per_token,
        memory_bytes, architecture, layers, hidden_size, padded_vocab_size, and the detail.
        A config with problems prints them, one line each, and exits 1.

logits  builds the model and runs one forward pass (no dropout, no gradients) on --tokens: decimal
        ids, each below the padded vocabulary, 1 to seq_length of them. The weights are the seeded
        initialisation, or with --load a checkpoint's: a save directory (its "latest" file names the
        global_stepN directory), one global_stepN directory, or any directory of *.safetensors files
        holding every parameter by our names or GPT-NeoX's sequential.<idx> keys. Tensors that name
        no parameter are listed in a note and ignored. A config may set padded_vocab_size itself
        instead of naming a tokenizer.
        The loss is the mean next-token cross-entropy over the num_tokens - 1 predictions, computed
        from the fp32 logits in float64.
        --json prints one object: num_tokens, vocab_size (padded), loss (null for one token),
        per_position_first8, per_position_argmax, last_logits, top5 ([{id, logit}], last position).

example:
  pnpm -s neox model info configs/pythia/70M.yml configs/local_setup.yml \\
      --set vocab_file=../shared/data/tokenizers/gpt-neox-20b/tokenizer.json --json
  pnpm -s neox model logits configs/tiny.yml configs/local_setup.yml --tokens 464,2068,7586 --json
`;

export async function runModel(argv: string[]): Promise<number> {
  return runSubcommands(
    "model",
    USAGE,
    argv,
    {
      info,
      logits,
    },
    (err) => err instanceof WeightLoadError,
  );
}

async function info(argv: string[]): Promise<number> {
  const args = parseArgv(argv, {
    values: ["--world-size"],
    repeat: ["--set"],
    bools: ["--json", "--params"],
  });
  if (args.positional.length === 0) throw new UsageError("needs at least one config file");
  const { resolved, problems } = await resolveModelConfig(args);
  let report: ReturnType<typeof modelInfo> | undefined;
  if (problems.length === 0) {
    try {
      report = modelInfo(resolved);
    } catch (err) {
      if (!(err instanceof ModelReportError)) throw err;
      for (const p of err.problems) problems.push(keyProblem(resolved, p.key, p.message));
    }
  }
  if (!report) return printProblems("neox model info", problems);
  const withTable = args.bools.has("--params");
  if (args.bools.has("--json")) {
    const out = withTable
      ? {
          ...report.info,
          parameter_table: report.table.map(({ name, sequential, shape, numel }) => ({
            name,
            sequential,
            shape,
            numel,
          })),
        }
      : report.info;
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(renderInfo(args.positional, report.info, withTable ? report.table : null));
  }
  return 0;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");

/** 1.23 GiB style, binary units: what a GPU's memory is quoted in. */
function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(2)} ${units[u]}`;
}

/** 7.24B, 70.4M: the magnitude at a glance beside the exact count. */
function short(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

function renderInfo(files: readonly string[], i: ModelInfo, table: readonly ParamEntry[] | null): string {
  const s = i.shape;
  const m = i.memory_bytes;
  const a = i.memory_assumptions;
  const g = i.memory_bytes_per_gpu;
  const rows: [string, string][] = [
    [
      "architecture",
      `${i.architecture} (${s.residual} residual, ${s.norm}, ${s.pos_emb} positions, ${s.tied_output ? "tied" : "untied"} output)`,
    ],
    ["layers", String(i.layers)],
    [
      "hidden_size",
      `${i.hidden_size} (${s.num_attention_heads} heads of ${s.head_size}, ${s.num_kv_heads} key/value heads)`,
    ],
    ["mlp widths", `linear1 out ${s.mlp_linear1_out_features}, linear2 in ${s.mlp_linear2_in_features}`],
    ["padded_vocab_size", String(i.padded_vocab_size)],
    ["parameters", `${int(i.parameters)} (${short(i.parameters)})`],
    ["non-embedding", `${int(i.non_embedding_parameters)} (${short(i.non_embedding_parameters)})`],
    [
      "FLOPs per token",
      `${i.flops_per_token.toExponential(4)} model (MFU), ${i.hardware_flops_per_token.toExponential(4)} hardware (HFU)`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = [files.join(" "), ...rows.map(([k, v]) => `${k.padEnd(width)}${v}`)];
  const per = a.bytes_per_parameter;
  lines.push(
    `memory (${a.precision}; ${per.weights} + ${per.gradients} + ${per.optimizer_state} bytes per parameter)`,
    `  weights                    ${bytes(m.weights)}`,
    `  gradients                  ${bytes(m.gradients)}`,
    `  optimizer state            ${bytes(m.optimizer_state)}`,
    `  activations                ${bytes(m.activations)} per micro-batch of ${a.micro_batch_size} × ${a.seq_length} tokens${a.micro_batch_source === "default" ? " (no micro-batch size set: 1 assumed)" : ""}`,
    `  activations, checkpointed  ${bytes(m.activations_checkpointed)} (every ${a.checkpoint_num_layers} layer(s))`,
    `  per GPU at world size ${s.world_size}: weights ${bytes(g.weights)}, gradients ${bytes(g.gradients)}, optimizer state ${bytes(g.optimizer_state)}`,
  );
  if (table) {
    lines.push("parameters by name:");
    const w = Math.max(...table.map((p) => p.name.length)) + 2;
    for (const p of table) lines.push(`  ${p.name.padEnd(w)}[${p.shape.join(", ")}]  ${int(p.numel)}`);
  }
  return `${lines.join("\n")}\n`;
}
