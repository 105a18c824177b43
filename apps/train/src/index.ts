// @neox/app-train: `neox train`, GPT-NeoX's train.py in one process.
export { HELP, parseArgs, type TrainArgs, UsageError } from "./args";
export { buildTrainData, neoxDataArgs } from "./data";
export { dryRunReport } from "./dry-run";
export { main } from "./main";
