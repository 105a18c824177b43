// Renderings of a resolved config: the flat JSON object of `neox config show --json` and the
// human-readable report.
import { ARGS_BY_NAME } from "./args/index";
import { isPlainObject } from "./load/merge";
import { formatProblem, formatSource, oneLine, preview } from "./problems";
import type { ResolvedConfig } from "./resolve";
import { sourceOf } from "./validate/keys";

/**
 * One flat object: every canonical GPT-NeoX key with its resolved value, every derived key at top
 * level (GPT-NeoX's own derived keys such as `train_batch_size` replace the raw values), and
 * `_sources` mapping each non-default value to "file:line" ("--set" for overrides).
 */
export function flatJson(r: ResolvedConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r.values, ...r.derived };
  const sources: Record<string, string> = {};
  for (const [path, src] of [...r.sources].sort(([a], [b]) => a.localeCompare(b)))
    sources[path] = formatSource(src);
  out._sources = sources;
  return out;
}

/** The human-readable `config show` report (stderr-free: the caller decides where it goes). */
export function renderShow(r: ResolvedConfig, extraNotes: readonly string[] = []): string {
  const lines: string[] = [];
  lines.push(`config: ${r.files.join(" ")}`);
  lines.push("");
  lines.push("set values:");
  // a dict is shown entry by entry, each credited to its own file:line or `--set`
  const rows: [string, unknown][] = [];
  for (const k of [...r.given].sort()) {
    const v = r.values[k];
    if (isPlainObject(v) && Object.keys(v).length > 0) rows.push(...leaves(v, k));
    else rows.push([k, v]);
  }
  const width = Math.min(40, Math.max(0, ...rows.map(([k]) => k.length)));
  for (const [k, v] of rows) {
    lines.push(
      `  ${oneLine(k).padEnd(width)}  ${fmt(v)}    # ${oneLine(formatSource(sourceOf(r.sources, k)))}`,
    );
  }
  lines.push("");
  lines.push("derived:");
  const d = r.derived;
  const derivedRows: [string, unknown][] = [
    ["world_size", `${d.world_size} (${d.world_size_source})`],
    [
      "parallel layout",
      `pipe ${Math.max(d.pipe_parallel_size, 1)} × model ${d.model_parallel_size} × data ${d.data_parallel_size}`,
    ],
    ["train_batch_size", d.train_batch_size],
    ["train_micro_batch_size_per_gpu", d.train_micro_batch_size_per_gpu],
    ["gradient_accumulation_steps", d.gradient_accumulation_steps],
    ["padded_vocab_size", d.padded_vocab_size],
    ["precision", d.precision],
    ["head_size", d.head_size],
    ["num_kv_heads", d.num_kv_heads],
    ["rotary_dim", d.rotary_dim],
    [
      "mlp widths",
      `linear1 out ${d.mlp_linear1_out_features}, linear2 in ${d.mlp_linear2_in_features}${d.gated_mlp ? " (gated)" : ""}`,
    ],
    ["attention_config", summariseLayers(d.attention_config)],
    ["optimizer", `${d.optimizer_type}, lr ${d.lr}`],
    ["lr_decay_iters", d.lr_decay_iters],
    ["warmup_iters", d.warmup_iters],
    ["zero_stage", d.zero_stage],
  ];
  for (const [k, v] of derivedRows) lines.push(`  ${k.padEnd(32)}${fmt(v)}`);
  const notes = [
    ...r.notes.map((n) => `${n.file ? `${n.file}:${n.line}: ` : ""}${n.message}`),
    ...extraNotes,
  ];
  if (notes.length > 0) {
    lines.push("");
    lines.push("notes:");
    for (const n of notes) lines.push(`  ${n}`);
  }
  if (r.problems.length > 0) {
    lines.push("");
    lines.push("problems:");
    for (const p of r.problems) lines.push(`  ${formatProblem(p)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A value on one line, cut at 200 characters (a 10,000-entry list of data paths stays readable). */
function fmt(v: unknown): string {
  return oneLine(preview(v, 200));
}

/** The leaf entries of a dict at `path`, by dotted path; lists and empty dicts are leaves. */
function leaves(obj: Record<string, unknown>, path: string): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const p = `${path}.${k}`;
    if (isPlainObject(v) && Object.keys(v).length > 0) out.push(...leaves(v, p));
    else out.push([p, v]);
  }
  return out;
}

function summariseLayers(types: readonly string[] | null): string {
  if (!types) return "null";
  const runs: string[] = [];
  let i = 0;
  while (i < types.length) {
    let j = i;
    while (j < types.length && types[j] === types[i]) j++;
    runs.push(`${types[i]}×${j - i}`);
    i = j;
  }
  return runs.join(", ");
}

/** True when `key` is a declared GPT-NeoX argument. */
export function isDeclared(key: string): boolean {
  return ARGS_BY_NAME.has(key);
}
