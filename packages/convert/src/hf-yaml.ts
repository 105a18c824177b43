// The YAML config hf-import writes: GPT-NeoX key names, every key the architecture needs, and the
// tokenizer when the HF directory had one, so `neox model|generate|train` runs it as written.
export interface ImportedConfig {
  hfDir: string;
  hfClass: string;
  /** Our model keys from the HF config (hf-map's ourConfigFromHf). */
  model: Readonly<Record<string, unknown>>;
  /** HF vocab_size: the embedding's rows. */
  vocab: number;
  /** tokenizer_type / vocab_file naming the copied files, or null when there were none. */
  tokenizer: Readonly<Record<string, unknown>> | null;
}

const scalar = (x: unknown): string => (typeof x === "string" ? JSON.stringify(x) : String(x));

export function configYaml(c: ImportedConfig): string {
  const lines = [
    `# ${c.hfClass} imported from ${c.hfDir} by neox convert hf-import.`,
    "# seq_length is the whole context (max_position_embeddings); lower it for a cheaper fine-tune.",
  ];
  for (const [k, v] of Object.entries(c.model)) lines.push(`${k}: ${scalar(v)}`);
  // GPT-NeoX pads the tokenizer's vocabulary up to a multiple of this; the checkpoint's embedding
  // has exactly vocab_size rows, and any tokenizer of at most that many ids pads to it.
  lines.push(`make_vocab_size_divisible_by: ${c.vocab}`);
  // A run's batch is no part of the model, but a config without one does not validate.
  lines.push("train_micro_batch_size_per_gpu: 1");
  if (c.tokenizer) for (const [k, v] of Object.entries(c.tokenizer)) lines.push(`${k}: ${scalar(v)}`);
  else
    lines.push(
      "# The HF directory had no tokenizer files: name one when running this config, e.g.",
      "#   --set tokenizer_type=HFTokenizer --set vocab_file=/path/to/tokenizer.json",
      `# (its vocabulary must pad to ${c.vocab} ids, the checkpoint's embedding rows).`,
    );
  return `${lines.join("\n")}\n`;
}
