// NeoXArgsTextgen (GPT-NeoX megatron/neox_arguments/neox_args.py): sampling for `neox generate`
// and the task list for `neox eval`.
import { type ArgDecl, type ArgType, arg as declare, type Support, t, unsupported } from "../schema/types";
import { featuresByValue } from "./support";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("textgen", name, type, def, doc, support);

const PRECOMPUTE = "precomputing reference log-probabilities (DPO/KTO)";

export const TEXTGEN_ARGS: readonly ArgDecl[] = [
  arg(
    "text_gen_type",
    t.str,
    null,
    'Generation mode: "unconditional", "input-file" or "interactive" ("precompute" is for DPO/KTO).',
    unsupported(PRECOMPUTE, { explain: featuresByValue("text_gen_type", { precompute: PRECOMPUTE }) }),
  ),
  arg(
    "precompute_model_name",
    t.str,
    null,
    "Name under which precomputed log-probabilities are saved.",
    unsupported(PRECOMPUTE),
  ),
  arg("temperature", t.float, 0.0, "Sampling temperature; 0 is greedy."),
  arg("top_p", t.float, 0.0, "Nucleus sampling mass; 0 disables it."),
  arg("top_k", t.int, 0, "Sample among the k most likely tokens; 0 disables it."),
  arg("return_logits", t.bool, false, "Return the logits of generated tokens."),
  arg("maximum_tokens", t.int, 64, "Maximum number of tokens to generate."),
  arg("prompt_end", t.str, "\n", "String that ends one prompt in the input file."),
  arg("sample_input_file", t.str, null, "Prompts to complete, one per line (input-file mode)."),
  arg("sample_output_file", t.str, "samples.txt", "Where generated samples are written."),
  arg("num_samples", t.int, 1, "Number of unconditional samples."),
  arg(
    "recompute",
    t.bool,
    false,
    "Recompute attention over the whole context each step instead of a KV cache.",
  ),
  arg(
    "eval_results_prefix",
    t.str,
    "",
    "Prefix of the evaluation results file (<prefix>_eval_results_<date>.json).",
  ),
  arg("eval_tasks", t.list(t.any), null, "lm-evaluation-harness task names for `neox eval`."),
];
