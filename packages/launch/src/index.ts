export { defaultConfigPath, resolvedConfigText, writeResolvedConfig } from "./config-file";
export { LaunchError } from "./errors";
export { formatPlan, shellQuote } from "./format";
export { type HostSlots, parseHostfile } from "./hostfile";
export {
  DEFAULT_HOSTFILE,
  type LaunchKind,
  type LaunchOptions,
  type LaunchPlan,
  planLaunch,
  type RankPlan,
} from "./plan";
export { type RankIdentity, rankFromEnv } from "./rank";
export { type ResourceChoice, type Resources, selectResources } from "./resources";
export { type Env, expandNodelist, type SlurmAllocation, slurmAllocation } from "./slurm";
