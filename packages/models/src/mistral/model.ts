// Mistral (Jiang et al. 2023): Llama (../llama/model.ts) plus a sliding attention window,
// GPT-NeoX's sliding_window_width w (position p sees keys p - w .. p), usually with GQA.
import type { ResolvedConfig } from "@neox/config";
import { type ArchRequirements, checkArchitecture } from "../arch-check";
import type { BuildOptions, GptNeoXModel } from "../gpt-neox/model";
import { buildLlama } from "../llama/model";

export const MISTRAL_REQUIREMENTS: ArchRequirements = {
  sliding_window_width: (v: unknown) =>
    typeof v === "number" && Number.isInteger(v) && v >= 1
      ? null
      : "Mistral needs sliding_window_width (a whole number ≥ 1)",
};

export function buildMistral(r: ResolvedConfig, opts: BuildOptions = {}): GptNeoXModel {
  checkArchitecture("Mistral", r, MISTRAL_REQUIREMENTS);
  return buildLlama(r, opts);
}
