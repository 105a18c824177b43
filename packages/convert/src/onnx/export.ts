// `onnx-export`: a checkpoint (a save directory, resolved through `latest`, or one global_stepN
// directory) to one .onnx file holding the decoder's forward graph and its weights. The model is
// built from the checkpoint's own config.json (the resolved values the trainer saved), its
// vocabulary taken from the stored word_embeddings rows, and loaded with @neox/models' loader, so
// the graph is exported from exactly the model `neox model logits` runs. The file is written
// beside its destination and renamed into place: a failed export leaves nothing.
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { formatProblem, parseConfigText, type ResolvedConfig, resolveParsed } from "@neox/config";
import { findWeightFiles, GptNeoXModel, loadWeights } from "@neox/models";
import { SafetensorsFile } from "@neox/tensor";
import { type DecoderGraphOptions, decoderGraph } from "./decoder-graph";
import type { Precision } from "./graph-builder";
import { encodeModel, type GraphDef } from "./proto";

export const ONNX_OPSET = 17;

export interface OnnxExportOptions {
  /** A save directory (with `latest`) or a global_stepN directory. */
  input: string;
  /** The .onnx file to write. */
  output: string;
  /** Past/present key-value inputs and outputs. */
  kvCache?: boolean;
  /** fp32 (default) or fp16 weights and compute; logits are float32 either way. */
  precision?: Precision;
  /** Declare the optional `attention_mask` / `position_ids` inputs (default true, as HF's exports). */
  attentionMask?: boolean;
  positionIds?: boolean;
}

export interface OnnxExportResult {
  output: string;
  bytes: number;
  inputs: string[];
  outputs: string[];
}

/** Exports a checkpoint's model as an ONNX file. */
export function onnxExport(opts: OnnxExportOptions): OnnxExportResult {
  const config = checkpointConfig(opts.input);
  const model = GptNeoXModel.fromConfig(config);
  try {
    loadWeights(model, opts.input);
    return exportOnnxModel(model, opts.output, opts);
  } finally {
    model.dispose();
  }
}

/** Exports a built model (its current weights) as an ONNX file. */
export function exportOnnxModel(
  model: GptNeoXModel,
  output: string,
  opts: DecoderGraphOptions = {},
): OnnxExportResult {
  const graph = decoderGraph(model, opts);
  const bytes = writeOnnx(graph, output, {
    "neox.precision": opts.precision ?? "fp32",
    "neox.kv_cache": String(opts.kvCache === true),
    "neox.max_positions": String(maxPositions(model)),
  });
  return {
    output,
    bytes,
    inputs: graph.inputs.map((i) => i.name),
    outputs: graph.outputs.map((o) => o.name),
  };
}

/** The positions a model has tables for: the longest sequence its graph can run. */
export function maxPositions(model: GptNeoXModel): number {
  const s = model.spec;
  return s.positions === "learned" ? s.maxPositions : Math.max(s.maxPositions, s.seqLength);
}

function writeOnnx(graph: GraphDef, output: string, metadata: Record<string, string>): number {
  const parts = encodeModel(graph, {
    producerName: "neox-ts",
    producerVersion: "0.1.0",
    opset: ONNX_OPSET,
    metadata,
  });
  const tmp = join(dirname(output), `.${basename(output)}.tmp-${process.pid}`);
  let bytes = 0;
  const fd = openSync(tmp, "w");
  try {
    for (const p of parts) {
      for (let at = 0; at < p.length; ) at += writeSync(fd, p, at, p.length - at);
      bytes += p.length;
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, output);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {}
    rmSync(tmp, { force: true });
    throw err;
  }
  return bytes;
}

/**
 * The resolved config a checkpoint was saved with (its config.json), its padded vocabulary the
 * stored word_embeddings rows.
 */
export function checkpointConfig(input: string): ResolvedConfig {
  const found = findWeightFiles(input);
  const file = join(found.dir, "config.json");
  if (!existsSync(file))
    throw new Error(`onnx export: ${found.dir} has no config.json (expected a checkpoint the trainer saved)`);
  const parsed = parseConfigText(readFileSync(file, "utf8"), file);
  let rows: number | null = null;
  for (const f of found.files) {
    const st = SafetensorsFile.open(f);
    try {
      if (st.has("word_embeddings.weight")) rows = st.entry("word_embeddings.weight").shape[0] ?? null;
    } finally {
      st.close();
    }
  }
  if (rows === null)
    throw new Error(
      `onnx export: no word_embeddings.weight tensor in ${found.files.join(", ")} (via ${found.via})`,
    );
  const r = resolveParsed([parsed], { vocabSize: rows });
  if (r.problems.length > 0)
    throw new Error(`onnx export: ${file}: ${r.problems.map(formatProblem).join("; ")}`);
  if (r.derived.padded_vocab_size !== rows)
    throw new Error(
      `onnx export: ${file} pads ${rows} vocabulary rows to ${r.derived.padded_vocab_size}; the checkpoint holds ${rows}`,
    );
  return r;
}
