// hf-import: a Hugging Face directory (safetensors) -> a neox-ts save directory (`latest` ->
// global_step0) and a YAML config that reproduces the architecture, so `neox train` can fine-tune
// it (finetune: true) and `neox model|generate|eval|serve` and hf-export read it. Everything is
// checked before anything is written: the architectures entry, every config field, every tensor's
// presence, shape and dtype, and that no tensor is left over.
import { join, resolve } from "node:path";
import { formatProblem, parseConfigText, type ResolvedConfig, resolveParsed } from "@neox/config";
import { type ModelSpec, modelSpec, parameterTable, writeTextSynced } from "@neox/models";
import { writeCheckpoint } from "./checkpoint-write";
import { HF_CONFIG_FILE, readAsF32, readJsonObject } from "./hf-files";
import {
  adapterForHfClass,
  ConvertError,
  checkPlanCoversModel,
  hfShapes,
  joinTensors,
  ourConfigFromHf,
  planTensors,
} from "./hf-map";
import { stageOutput } from "./hf-output";
import { copyFiles, hfTokenizerSize, tokenizerForImport } from "./hf-tokenizer";
import { configYaml } from "./hf-yaml";
import { SafetensorsDir } from "./safetensors-dir";

export interface HfImportOptions {
  /** The HF model directory. */
  input: string;
  /** The save directory to create. */
  output: string;
  /** Where to write the YAML config as well (it is always in <output>/global_step0/configs/). */
  configOut?: string;
  overwrite?: boolean;
}

export interface HfImportResult {
  output: string;
  checkpoint: string;
  architecture: string;
  configYaml: string;
  configOut: string | null;
  tensors: number;
  notes: string[];
}

/** HF buffers some exports still carry: recomputed from the config, never parameters. */
const HF_BUFFERS = /(\.attention\.(bias|masked_bias)|\.rotary_emb\.inv_freq)$/;

const shapeText = (s: readonly number[]) => `[${s.join(", ")}]`;
const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export function hfImport(o: HfImportOptions): HfImportResult {
  const configPath = join(o.input, HF_CONFIG_FILE);
  const hf = readJsonObject(configPath);
  const arch = hf.architectures;
  if (!Array.isArray(arch) || arch.length !== 1)
    throw new ConvertError(
      `${configPath}: "architectures" must list exactly one class, found ${JSON.stringify(arch)}`,
    );
  const adapter = adapterForHfClass(arch[0], configPath);
  const ours = ourConfigFromHf(adapter, hf, configPath);
  const vocab = ours.padded_vocab_size as number;
  delete ours.padded_vocab_size;
  const finalDir = resolve(o.output);
  const tok = tokenizerForImport(o.input, finalDir);
  // GPT-NeoX pads the tokenizer's ids up to the embedding (make_vocab_size_divisible_by below);
  // a tokenizer with more ids than rows would pad past it.
  if ("tokenizer.json" in tok.copies) {
    const ids = hfTokenizerSize(tok.copies["tokenizer.json"]!);
    if (ids > vocab)
      throw new ConvertError(
        `${tok.copies["tokenizer.json"]}: ${ids} token ids, but ${configPath} has vocab_size ${vocab} (the embedding's rows); the tokenizer pads to ${ids} or more, not ${vocab}`,
      );
  }
  const yaml = configYaml({
    hfDir: o.input,
    hfClass: adapter.hfClass,
    model: ours,
    vocab,
    tokenizer: tok.keys,
  });
  const { resolved, spec } = resolveImported(yaml, vocab);

  const weights = SafetensorsDir.open(o.input);
  try {
    // The models' parameter table: the names and shapes the model registers, with nothing allocated
    // (an import holds one tensor at a time, never a second copy of the weights).
    const params = new Map(parameterTable(resolved).map((e) => [e.name, [...e.shape]] as const));
    const plan = planTensors(adapter, spec);
    checkPlanCoversModel(adapter, plan, params);
    const used = new Set<string>();
    for (const p of plan) {
      const want = hfShapes(p, spec, params.get(p.ours)!);
      p.hf.forEach((name, j) => {
        if (!weights.has(name))
          throw new ConvertError(
            `${o.input}: tensor "${name}" ${shapeText(want[j]!)} is missing (${adapter.hfClass} needs it for ${p.ours})`,
          );
        const e = weights.entry(name);
        const path = weights.fileOf(name).path;
        if (!sameShape(e.shape, want[j]!))
          throw new ConvertError(
            `${path}: tensor "${name}" has shape ${shapeText(e.shape)}, expected ${shapeText(want[j]!)} from ${configPath}`,
          );
        if (e.dtype !== "F32" && e.dtype !== "BF16" && e.dtype !== "F16")
          throw new ConvertError(`${path}: tensor "${name}" is ${e.dtype}; F32, BF16 and F16 are converted`);
        used.add(name);
      });
    }
    const notes: string[] = [];
    const skipped = weights.names().filter((n) => !used.has(n) && HF_BUFFERS.test(n));
    if (skipped.length > 0)
      notes.push(`${skipped.length} HF buffer(s) recomputed from the config, not read (e.g. ${skipped[0]})`);
    const extra = weights.names().filter((n) => !used.has(n) && !HF_BUFFERS.test(n));
    if (extra.length > 0)
      throw new ConvertError(
        `${weights.fileOf(extra[0]!).path}: tensor "${extra[0]}" is not part of ${adapter.hfClass} as ${configPath} describes it${extra.length > 1 ? ` (nor ${extra.length - 1} more)` : ""}${spec.tiedOutput ? "; tie_word_embeddings is true, so the output head is the embedding" : ""}`,
      );
    if (!tok.keys)
      notes.push(
        "no tokenizer files in the HF directory: set tokenizer_type and vocab_file when running the config",
      );

    const out = stageOutput(o.output, o.overwrite ?? false);
    try {
      copyFiles(tok.copies, out.tmp);
      const dir = writeCheckpoint(out.tmp, {
        params: plan.map((p) => ({
          name: p.ours,
          shape: params.get(p.ours)!,
          data: () => {
            const shape = params.get(p.ours)!;
            const cols = shape.length > 1 ? shape[1]! : 1;
            return joinTensors(
              p,
              spec,
              p.hf.map((n) => readAsF32(weights, n)),
              cols,
            );
          },
        })),
        config: resolved.values,
        configFiles: { "model.yml": yaml },
        seed: spec.seed,
        seqLength: spec.seqLength,
      });
      out.commit();
      const configOut = o.configOut ? resolve(o.configOut) : null;
      if (configOut) writeTextSynced(configOut, yaml);
      return {
        output: out.final,
        checkpoint: join(out.final, dir.slice(out.tmp.length + 1)),
        architecture: adapter.hfClass,
        configYaml: yaml,
        configOut,
        tensors: used.size,
        notes,
      };
    } catch (e) {
      out.abort();
      throw e;
    }
  } finally {
    weights.close();
  }
}

/** The written YAML resolved as a user's run would resolve it, with the HF vocabulary attached. */
function resolveImported(yaml: string, vocab: number): { resolved: ResolvedConfig; spec: ModelSpec } {
  const r = resolveParsed([parseConfigText(yaml, "model.yml")], { vocabSize: null });
  if (r.problems.length > 0)
    throw new ConvertError(
      `the config written for the import does not validate: ${r.problems.map(formatProblem).join("; ")}`,
    );
  const resolved: ResolvedConfig = { ...r, derived: { ...r.derived, padded_vocab_size: vocab } };
  try {
    return { resolved, spec: modelSpec(resolved) };
  } catch (e) {
    throw new ConvertError(`the imported model cannot be built: ${(e as Error).message}`);
  }
}
