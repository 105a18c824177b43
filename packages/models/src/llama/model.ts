// Llama (Touvron et al. 2023) as GPT-NeoX trains it: the GPT-NeoX decoder (../gpt-neox/model.ts)
// with RMSNorm (`scale`), SwiGLU (linear1 = [up ‖ gate]), rotary on whole heads, no biases, a
// sequential residual and, with num_kv_heads < num_attention_heads, GQA/MQA in the blocked
// [Q ‖ K ‖ V] layout. The config must say so; anything else fails naming the key.
import type { ResolvedConfig } from "@neox/config";
import { type ArchRequirements, checkArchitecture } from "../arch-check";
import { type BuildOptions, GptNeoXModel } from "../gpt-neox/model";

export const LLAMA_REQUIREMENTS: ArchRequirements = {
  norm: "rmsnorm",
  activation: "swiglu",
  pos_emb: "rotary",
  rotary_pct: 1,
  gpt_j_residual: false,
  use_bias_in_attn_linear: false,
  use_bias_in_mlp: false,
  use_bias_in_norms: false,
};

export function buildLlama(r: ResolvedConfig, opts: BuildOptions = {}): GptNeoXModel {
  checkArchitecture("Llama", r, LLAMA_REQUIREMENTS);
  return GptNeoXModel.fromConfig(r, opts);
}
