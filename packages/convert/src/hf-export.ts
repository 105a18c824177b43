// hf-export: a neox-ts checkpoint -> a Hugging Face directory (config.json, generation_config.json,
// safetensors, tokenizer files) that transformers loads as GPTNeoXForCausalLM, LlamaForCausalLM or
// MistralForCausalLM. Each HF tensor is produced when the writer reaches it (our tensor read,
// split, narrowed), so only one parameter's copy is held at a time.
import { join } from "node:path";
import { parameterTable, writeTextSynced } from "@neox/models";
import { openCheckpoint } from "./checkpoint-read";

import {
  type ExportPrecision,
  HF_CONFIG_FILE,
  HF_GENERATION_CONFIG_FILE,
  narrow,
  PRECISIONS,
} from "./hf-files";
import {
  ConvertError,
  checkPlanCoversModel,
  HF_ADAPTERS,
  hfConfig,
  hfShapes,
  planTensors,
  splitTensor,
} from "./hf-map";
import { stageOutput } from "./hf-output";
import { copyFiles, tokenizerForExport } from "./hf-tokenizer";
import { parseShardSize, writeSafetensorsDir } from "./safetensors-dir";

export type HfArchitecture = keyof typeof HF_ADAPTERS;

export interface HfExportOptions {
  /** A save directory (through its `latest`) or one global_stepN directory. */
  input: string;
  output: string;
  architecture: HfArchitecture;
  /** "auto" (the default): the checkpoint's training precision (fp16, bf16, else fp32). */
  precision?: "auto" | ExportPrecision;
  /** Largest shard, bytes or "5GB"-style (transformers' default 5GB); one file when everything fits. */
  shardSize?: number | string;
  /** Replace a non-empty output directory. */
  overwrite?: boolean;
  /** bos/eos id to write; the default is the tokenizer's end-of-document id where it can be read. */
  eod?: number | null;
}

export interface HfExportResult {
  output: string;
  via: string;
  precision: ExportPrecision;
  files: string[];
  tensors: number;
  notes: string[];
}

/** GPT-NeoX's auto precision (neox-spec §4.4) from the run's resolved precision. */
export function autoPrecision(precision: string | undefined): ExportPrecision {
  return precision === "fp16" ? "fp16" : precision === "bfloat16" ? "bf16" : "fp32";
}

export function hfExport(o: HfExportOptions): HfExportResult {
  const adapter = HF_ADAPTERS[o.architecture];
  if (!adapter)
    throw new ConvertError(
      `architecture "${o.architecture}": expected one of ${Object.keys(HF_ADAPTERS).join(", ")}`,
    );
  const requested = o.precision ?? "auto";
  if (requested !== "auto" && !(requested in PRECISIONS))
    throw new ConvertError(`precision "${requested}": expected auto, ${Object.keys(PRECISIONS).join(", ")}`);
  let shardSize: number | undefined;
  try {
    shardSize = o.shardSize === undefined ? undefined : parseShardSize(o.shardSize);
  } catch (e) {
    throw new ConvertError((e as Error).message);
  }

  const ck = openCheckpoint(o.input);
  try {
    const { spec, resolved } = ck;
    const precision = requested === "auto" ? autoPrecision(resolved.derived.precision) : requested;
    const config = hfConfig(adapter, spec, resolved.values);
    const tok = tokenizerForExport(resolved.values);
    const eod = o.eod !== undefined ? o.eod : tok.eod;
    config.bos_token_id = eod;
    config.eos_token_id = eod;
    config.torch_dtype = PRECISIONS[precision].torch;

    const shapes = new Map(ck.weights.entries.map((e) => [e.name, e.shape] as const));
    const plan = planTensors(adapter, spec);
    // The weights must be the model the config describes: the splits below are sized from it.
    for (const e of parameterTable(resolved)) {
      const got = shapes.get(e.name);
      if (!got)
        throw new ConvertError(
          `${ck.weights.path}: parameter "${e.name}" [${e.shape.join(", ")}] is missing`,
        );
      if (got.length !== e.shape.length || got.some((d, i) => d !== e.shape[i]))
        throw new ConvertError(
          `${ck.weights.path}: parameter "${e.name}" has shape [${got.join(", ")}], but the checkpoint's config gives [${e.shape.join(", ")}]`,
        );
    }
    checkPlanCoversModel(adapter, plan, shapes);
    for (const e of ck.weights.entries)
      if (e.dtype !== "F32")
        throw new ConvertError(`${ck.weights.path}: parameter "${e.name}" is ${e.dtype}, expected F32`);

    // Each of our tensors is read and split once; its HF parts wait here until written (the writer's
    // order keeps a parameter's parts together, so this holds one parameter at most).
    const pending = new Map<string, Map<string, Float32Array>>();
    const part = (p: (typeof plan)[number], hfName: string): Float32Array => {
      let parts = pending.get(p.ours);
      if (!parts) {
        const shape = shapes.get(p.ours)!;
        const cols = shape.length > 1 ? shape[1]! : 1;
        const data = ck.weights.readArray(p.ours) as Float32Array;
        const split = splitTensor(p, spec, data, cols);
        parts = new Map(p.hf.map((n, j) => [n, split[j]!]));
        pending.set(p.ours, parts);
      }
      const out = parts.get(hfName)!;
      parts.delete(hfName);
      if (parts.size === 0) pending.delete(p.ours);
      return out;
    };
    const dtype = PRECISIONS[precision].dtype;
    const tensors = plan.flatMap((p) => {
      const hs = hfShapes(p, spec, shapes.get(p.ours)!);
      return p.hf.map((name, j) => ({
        name,
        dtype,
        shape: hs[j]!,
        data: () => narrow(part(p, name), precision),
      }));
    });

    const out = stageOutput(o.output, o.overwrite ?? false);
    try {
      const files: string[] = [];
      const text = (name: string, x: unknown) => {
        writeTextSynced(join(out.tmp, name), `${JSON.stringify(x, null, 2)}\n`);
        files.push(name);
      };
      text(HF_CONFIG_FILE, config);
      text(HF_GENERATION_CONFIG_FILE, { _from_model_config: true, bos_token_id: eod, eos_token_id: eod });
      const written = writeSafetensorsDir(out.tmp, tensors, shardSize === undefined ? {} : { shardSize });
      files.push(...written.files);
      if (written.index) files.push("model.safetensors.index.json");
      copyFiles(tok.copies, out.tmp);
      files.push(...Object.keys(tok.copies));
      if (tok.tokenizerConfig && !("tokenizer_config.json" in tok.copies))
        text("tokenizer_config.json", tok.tokenizerConfig);
      out.commit();
      return {
        output: out.final,
        via: ck.via,
        precision,
        files,
        tensors: tensors.length,
        notes: tok.note ? [tok.note] : [],
      };
    } catch (e) {
      out.abort();
      throw e;
    }
  } finally {
    ck.weights.close();
  }
}
