// NeoXArgsDeepspeedRunner (GPT-NeoX megatron/neox_arguments/deepspeed_args.py): what deepy.py
// hands to deepspeed.launcher.runner; here @neox/launch reads them. GPT-NeoX declares force_multi
// twice; it is declared once here.
import { type ArgDecl, type ArgType, arg as declare, type Support, t, unsupported } from "../schema/types";
import { featuresByValue } from "./support";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("deepspeed_runner", name, type, def, doc, support);

export const DEEPSPEED_RUNNER_ARGS: readonly ArgDecl[] = [
  arg("hostfile", t.str, null, 'Hostfile of "<host> slots=<n>" lines (default $DLTS_HOSTFILE).'),
  arg("include", t.str, null, 'Hosts and slots to use, "host1@host2:0,2".'),
  arg("exclude", t.str, null, "Hosts and slots to leave out, same format as include."),
  arg("num_nodes", t.int, -1, "Use the first N hosts of the hostfile; -1 uses all."),
  arg("num_gpus", t.int, null, "Devices per node (ids 0..N-1); default all."),
  arg("master_port", t.int, 29500, "Rendezvous port (MASTER_PORT)."),
  arg("master_addr", t.str, null, "Rendezvous address (MASTER_ADDR); default the first host."),
  arg(
    "launcher",
    t.literal("pdsh", "openmpi", "mvapich", "slurm"),
    "pdsh",
    "Multi-node launcher.",
    unsupported("the MVAPICH launcher", {
      explain: featuresByValue("launcher", { mvapich: "the MVAPICH launcher" }),
    }),
  ),
  arg("force_multi", t.bool, false, "Use the multi-node launcher even for one node."),
  arg(
    "autotuning_run",
    t.str,
    null,
    'DeepSpeed autotuning mode, "tune" or "run".',
    unsupported("DeepSpeed autotuning"),
  ),
  arg("no_ssh_check", t.bool, false, "Skip checking that the head node is reachable over ssh."),
  arg("comment", t.str, null, "Passed to the launcher as --comment (Slurm)."),
  arg("account", t.str, null, "Passed to the launcher as --account (Slurm)."),
];
