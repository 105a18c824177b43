// @neox/app-train: `neox train`, GPT-NeoX's train.py: one process, or data-parallel ranks under mpirun.
export { HELP, parseArgs, type TrainArgs, UsageError } from "./args";
export { buildTrainData, neoxDataArgs } from "./data";
export { dryRunReport } from "./dry-run";
export { main } from "./main";
