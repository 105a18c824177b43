// Everything `neox model info` reports, as one object: the keys named by the CLI contract
// (parameters, non_embedding_parameters, flops_per_token, memory_bytes, architecture, layers,
// hidden_size, padded_vocab_size), and the detail behind them under other keys.
import type { ResolvedConfig } from "@neox/config";
import { flopsPerToken } from "./flops";
import { type MemoryAssumptions, type MemoryBytes, memoryBytes, perGpuModelState } from "./memory";
import { countParameters, type ParamEntry, parameterTableOf } from "./params";
import { type ModelShape, modelShape } from "./shape";

export interface ModelInfo {
  architecture: ModelShape["architecture"];
  layers: number;
  hidden_size: number;
  padded_vocab_size: number;
  /** Every parameter once, tied embeddings once. */
  parameters: number;
  /** parameters minus word, position and output embeddings (Kaplan/Pythia convention). */
  non_embedding_parameters: number;
  /** GPT-NeoX's training model FLOPs per token (f = 3), the MFU numerator. */
  flops_per_token: number;
  memory_bytes: MemoryBytes;
  /** Hardware FLOPs per token (f = 4 with checkpoint_activations), the HFU numerator. */
  hardware_flops_per_token: number;
  /** Model state per GPU at the config's world size (tensor/pipeline split, ZeRO stage). */
  memory_bytes_per_gpu: Omit<MemoryBytes, "activations" | "activations_checkpointed">;
  memory_assumptions: MemoryAssumptions;
  shape: {
    num_attention_heads: number;
    num_kv_heads: number;
    head_size: number;
    mlp_linear1_out_features: number;
    mlp_linear2_in_features: number;
    seq_length: number;
    residual: "parallel" | "sequential";
    norm: ModelShape["norm"];
    pos_emb: string;
    tied_output: boolean;
    world_size: number;
  };
}

export function modelInfo(r: ResolvedConfig): { info: ModelInfo; table: ParamEntry[] } {
  const s = modelShape(r);
  const table = parameterTableOf(s);
  const counts = countParameters(table, s.layers);
  const flops = flopsPerToken(s, r.values.checkpoint_activations === true);
  const mem = memoryBytes(r, s, counts.total);
  return {
    table,
    info: {
      architecture: s.architecture,
      layers: s.layers,
      hidden_size: s.hidden,
      padded_vocab_size: s.paddedVocab,
      parameters: counts.total,
      non_embedding_parameters: counts.nonEmbedding,
      flops_per_token: flops.model,
      memory_bytes: mem.bytes,
      hardware_flops_per_token: flops.hardware,
      memory_bytes_per_gpu: perGpuModelState(r, mem.bytes),
      memory_assumptions: mem.assumptions,
      shape: {
        num_attention_heads: s.heads,
        num_kv_heads: s.kvHeads,
        head_size: s.headSize,
        mlp_linear1_out_features: s.linear1Out,
        mlp_linear2_in_features: s.linear2In,
        seq_length: s.seqLength,
        residual: s.gptJResidual ? "parallel" : "sequential",
        norm: s.norm,
        pos_emb: s.posEmb,
        tied_output: s.tiedOutput,
        world_size: r.derived.world_size,
      },
    },
  };
}
