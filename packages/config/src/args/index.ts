// Every GPT-NeoX argument, declared once, in GPT-NeoX's class order (neox-spec §3.4 / Appendix B).
import type { ArgDecl } from "../schema/types";
import { DEEPSPEED_CONFIG_ARGS } from "./deepspeed-config";
import { DEEPSPEED_RUNNER_ARGS } from "./deepspeed-runner";
import { LOGGING_ARGS } from "./logging";
import { LR_SCHEDULER_ARGS } from "./lr-scheduler";
import { MODEL_ARGS } from "./model";
import { MOE_ARGS } from "./moe";
import { OPTIMIZER_ARGS } from "./optimizer";
import { OTHER_ARGS } from "./other";
import { PARALLELISM_ARGS } from "./parallelism";
import { TEXTGEN_ARGS } from "./textgen";
import { TOKENIZER_ARGS } from "./tokenizer";
import { TRAINING_ARGS } from "./training";

export {
  ALIAS_BY_NAME,
  ALIASES,
  type Alias,
  aliasesOf,
  applyAliases,
  toAliasValue,
  toCanonicalValue,
} from "./aliases";
export { unsupportedMessage } from "./support";

export const ALL_ARGS: readonly ArgDecl[] = [
  ...PARALLELISM_ARGS,
  ...MODEL_ARGS,
  ...OPTIMIZER_ARGS,
  ...LR_SCHEDULER_ARGS,
  ...LOGGING_ARGS,
  ...OTHER_ARGS,
  ...TOKENIZER_ARGS,
  ...TRAINING_ARGS,
  ...TEXTGEN_ARGS,
  ...MOE_ARGS,
  ...DEEPSPEED_CONFIG_ARGS,
  ...DEEPSPEED_RUNNER_ARGS,
];

export const ARGS_BY_NAME: ReadonlyMap<string, ArgDecl> = new Map(ALL_ARGS.map((d) => [d.name, d]));

// A name declared twice would silently shadow the first declaration in ARGS_BY_NAME.
if (ARGS_BY_NAME.size !== ALL_ARGS.length) {
  const names = ALL_ARGS.map((d) => d.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  throw new Error(`argument ${dup} is declared twice in packages/config/src/args`);
}
