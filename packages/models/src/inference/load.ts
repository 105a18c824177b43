// The model an inference verb (`neox generate`, `neox eval`, `neox serve`) runs: built from the
// resolved config, weights from `load` (a save directory whose `latest` names the checkpoint, or a
// `global_stepN` directory), dropout off. GPT-NeoX's setup_for_inference_or_eval requires `load`
// too; a model with random weights is never served by accident.
// `weights: "bf16"` keeps a bf16 copy of the weights for the GEMMs (half the bytes each decode step
// reads); the fp32 masters stay, as in training.
import type { ResolvedConfig } from "@neox/config";
import { GptNeoXModel } from "../gpt-neox/model";
import { type LoadedWeights, loadWeights } from "../load-weights";
import { ModelConfigError } from "../spec";

export interface InferenceModel {
  model: GptNeoXModel;
  loaded: LoadedWeights;
}

export function loadInferenceModel(
  r: ResolvedConfig,
  opts: { verb: string; weights?: "fp32" | "bf16" },
): InferenceModel {
  const load = r.values.load;
  if (typeof load !== "string" || load === "")
    throw new ModelConfigError(
      "load",
      `${opts.verb} needs \`load\`: the checkpoint directory to run (a save directory with \`latest\`, or global_stepN)`,
    );
  const model = GptNeoXModel.fromConfig(r, opts.weights === "bf16" ? { lowp: "bf16" } : {});
  try {
    const loaded = loadWeights(model, load);
    model.registry.flat.refreshLowp();
    model.dropout.training = false;
    return { model, loaded };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
