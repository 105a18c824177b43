// NeoXArgsMoE (GPT-NeoX megatron/neox_arguments/neox_args.py): dropless mixture-of-experts
// (megablocks). Not implemented yet: every key is accepted at its default only.
import { type ArgDecl, type ArgType, arg as declare, type Support, t, unsupported } from "../schema/types";
import { greaterThan } from "./support";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("moe", name, type, def, doc, support);

const MOE = "mixture-of-experts";

export const MOE_ARGS: readonly ArgDecl[] = [
  arg(
    "moe_num_experts",
    t.int,
    1,
    "Experts per MoE layer; 1 means no MoE.",
    unsupported(MOE, { when: greaterThan(1), describe: "moe_num_experts > 1" }),
  ),
  arg("moe_expert_interval", t.int, 1, "One MoE layer every this many layers.", unsupported(MOE)),
  arg("moe_top_k", t.int, 1, "Experts each token is routed to.", unsupported(MOE)),
  arg(
    "moe_router_type",
    t.literal("sinkhorn", "topk"),
    "sinkhorn",
    "Router: sinkhorn for training, topk for inference only.",
    unsupported(MOE),
  ),
  arg("moe_lbl_in_fp32", t.bool, false, "Compute the load-balancing loss in fp32.", unsupported(MOE)),
  arg("moe_jitter_eps", t.float, null, "Router jitter coefficient; unset disables jitter.", unsupported(MOE)),
];
