// `neox train --dry-run`: what a run would hold and do, from the config alone (no weights allocated):
// parameters, FLOPs per token and per step, and this engine's memory by component (@neox/trainer's
// trainMemory; `neox model info` gives GPT-NeoX's DeepSpeed accounting instead).
import type { ResolvedConfig } from "@neox/config";
import { modelInfo } from "@neox/models";
import { trainMemoryOf, trainSettings } from "@neox/trainer";

/** Bytes in the largest binary unit that keeps the number ≥ 1, two decimals. */
function bytesText(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (i < units.length - 1 && n >= 1024) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(2)} ${units[i]}`;
}

export function dryRunReport(r: ResolvedConfig): string {
  const { info } = modelInfo(r);
  const batch = r.derived.train_batch_size ?? 0;
  const seq = Number(r.values.seq_length);
  const tokensPerStep = batch * seq;
  const lines = [
    `model: ${info.architecture}, ${info.layers} layers, hidden ${info.hidden_size}, padded vocabulary ${info.padded_vocab_size}`,
    `parameters: ${info.parameters.toLocaleString("en-US")} (non-embedding ${info.non_embedding_parameters.toLocaleString("en-US")})`,
    `tokens per step: ${tokensPerStep.toLocaleString("en-US")} (train_batch_size ${batch} × seq_length ${seq})`,
    `FLOPs per token: ${info.flops_per_token.toExponential(3)} (model), ${info.hardware_flops_per_token.toExponential(3)} (hardware)`,
    `FLOPs per step: ${(info.flops_per_token * tokensPerStep).toExponential(3)} (model)`,
    "memory estimate (this process, peak):",
  ];
  const t = trainSettings(r);
  const m = trainMemoryOf(r);
  const act = t.checkpointActivations ? "activations (checkpointed)" : "activations";
  const zero = t.dataParallel > 1 ? t.zeroStage : 0;
  const shard = zero > 0 ? `, ZeRO-${zero} shard of ${t.dataParallel}` : "";
  const rows: [string, number][] = [
    [t.precision === "fp32" ? "weights (fp32)" : `weights (fp32 + ${t.precision} copy)`, m.weights],
    [zero === 2 ? "gradients (fp32, transient full + shard)" : "gradients (fp32)", m.gradients],
    [`optimizer state (${t.optimizer.kind}${shard})`, m.optimizer_state],
    [`${act}, micro-batch ${t.micro}`, m.activations],
    ["runtime", m.runtime],
  ];
  for (const [k, bytes] of rows) lines.push(`  ${k.padEnd(44)} ${bytesText(bytes)}`);
  lines.push(`  ${"total".padEnd(44)} ${bytesText(m.total)}`);
  return `${lines.join("\n")}\n`;
}
