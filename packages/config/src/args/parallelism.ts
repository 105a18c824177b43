// NeoXArgsParallelism (GPT-NeoX megatron/neox_arguments/neox_args.py): pipeline, tensor and
// sequence parallel sizes. Data parallel size is derived: world_size / (pp * tp).
import { type ArgDecl, type ArgType, arg as declare, type Support, t, unsupported } from "../schema/types";
import { isTrue } from "./support";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("parallelism", name, type, def, doc, support);

export const PARALLELISM_ARGS: readonly ArgDecl[] = [
  arg(
    "pipe_parallel_size",
    t.int,
    0,
    "Pipeline stages; 0 builds no pipeline at all, 1 a one-stage pipeline.",
  ),
  arg(
    "model_parallel_size",
    t.int,
    1,
    "Tensor (model) parallel size: heads and MLP columns split across ranks.",
  ),
  arg(
    "pipe_partition_method",
    t.str,
    "type:transformer|mlp",
    'How layers are spread over pipeline stages: "parameters", "uniform" or "type:<regex>" (balance matching layers).',
  ),
  arg("world_size", t.int, null, "Derived: total number of processes, from the launcher."),
  arg("is_pipe_parallel", t.bool, false, "Derived: pipe_parallel_size >= 1."),
  arg(
    "sequence_parallel",
    t.bool,
    false,
    "Megatron sequence parallelism: shard norm inputs and activations along the sequence over the TP group.",
    unsupported("Megatron sequence parallelism", { when: isTrue, describe: "sequence_parallel: true" }),
  ),
];
