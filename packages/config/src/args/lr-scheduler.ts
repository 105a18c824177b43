// NeoXArgsLRScheduler (GPT-NeoX megatron/neox_arguments/neox_args.py): the AnnealingLR schedule
// (megatron/learning_rates.py). All supported; the trainer implements the formulas in neox-spec §1.2.
import { type ArgDecl, type ArgType, arg as declare, type Support, t } from "../schema/types";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("lr_scheduler", name, type, def, doc, support);

export const LR_SCHEDULER_ARGS: readonly ArgDecl[] = [
  arg(
    "lr_decay_style",
    t.literal("constant", "linear", "cosine", "exponential"),
    "linear",
    "Learning-rate decay shape.",
  ),
  arg("lr_decay_iters", t.int, null, "Iterations to decay over; default train_iters."),
  arg(
    "lr_decay_fraction",
    t.float,
    null,
    "Decay over this fraction of train_iters (overrides lr_decay_iters).",
  ),
  arg("min_lr", t.float, 0.0, "Floor of the learning rate."),
  arg("warmup", t.float, 0.01, "Linear warmup length as a fraction of the decay iterations."),
  arg(
    "override_lr_scheduler",
    t.bool,
    false,
    "On load, take the schedule from this config and ignore the checkpoint's.",
  ),
  arg(
    "use_checkpoint_lr_scheduler",
    t.bool,
    false,
    "On load, take the schedule from the checkpoint and ignore this config's.",
  ),
];
