// NeoXArgsOptimizer (GPT-NeoX megatron/neox_arguments/neox_args.py): the optimizer choice and the
// ZeRO values GPT-NeoX mirrors out of the `optimizer` and `zero_optimization` dicts.
import { type ArgDecl, type ArgType, arg as declare, type Support, t, unsupported } from "../schema/types";
import { OPTIMIZER_TYPES } from "./deepspeed-dicts";
import { greaterThan, isOneOf, isTrue } from "./support";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("optimizer", name, type, def, doc, support);

/**
 * Optimizer types (GPT-NeoX training.py get_optimizer, matched case-insensitively) this backend
 * does not implement, with the feature each names. adam and cpu_adam are Adam with decoupled weight
 * decay (apex FusedAdam / DeepSpeedCPUAdam, adam_w_mode); cpu_torch_adam is torch.optim.Adam (L2
 * decay added to the gradient); sgd is SGD with momentum; lion is GPT-NeoX's own Lion. All supported.
 */
export const UNSUPPORTED_OPTIMIZERS: Readonly<Record<string, string>> = {
  onebitadam: "1-bit Adam (DeepSpeed OneBitAdam)",
  sm3: "the SM3 optimizer",
  madgrad_wd: "the MADGRAD optimizer",
};

/** The unsupported-optimizer check for a type name, shared with the `optimizer` dict's declaration. */
export function unsupportedOptimizer(
  key: string,
  type: unknown,
): { describe: string; feature: string } | undefined {
  const name = typeof type === "string" ? type.toLowerCase() : undefined;
  const feature = name === undefined ? undefined : UNSUPPORTED_OPTIMIZERS[name];
  return feature === undefined ? undefined : { describe: `${key}: ${type as string}`, feature };
}

export const OPTIMIZER_ARGS: readonly ArgDecl[] = [
  arg(
    "optimizer_type",
    t.literal(...OPTIMIZER_TYPES),
    "adam",
    "Derived: optimizer.type, lower-cased.",
    unsupported("1-bit Adam, SM3 and MADGRAD", { explain: (v) => unsupportedOptimizer("optimizer_type", v) }),
  ),
  arg(
    "use_bnb_optimizer",
    t.bool,
    false,
    "Use the bitsandbytes 8-bit Adam.",
    unsupported("the bitsandbytes 8-bit optimizer", { when: isTrue, describe: "use_bnb_optimizer: true" }),
  ),
  arg(
    "zero_stage",
    t.union(t.int, t.list(t.int), t.literal("all")),
    null,
    "Derived: zero_optimization.stage.",
    unsupported("ZeRO stage 3 (parameter partitioning)", {
      when: (v) => greaterThan(2)(v) || (Array.isArray(v) && v.some(greaterThan(2))) || isOneOf("all")(v),
      describe: "zero_stage > 2",
    }),
  ),
  arg("zero_reduce_scatter", t.bool, null, "Derived: zero_optimization.reduce_scatter."),
  arg("zero_contiguous_gradients", t.bool, null, "Derived: zero_optimization.contiguous_gradients."),
  arg("zero_reduce_bucket_size", t.int, null, "Derived: zero_optimization.reduce_bucket_size."),
  arg("zero_allgather_bucket_size", t.int, null, "Derived: zero_optimization.allgather_bucket_size."),
  arg(
    "lr",
    t.float,
    null,
    "Derived: optimizer.params.lr (peak learning rate; 0.001 when no optimizer is given).",
  ),
];
