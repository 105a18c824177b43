// @neox/app-prepare-data: `neox prepare-data`, GPT-NeoX's tools/datasets/preprocess_data.py.
export { type PrepareArgs, parseArgs } from "./args";
export { main } from "./main";
export { type KeySummary, prepareData, type RunSummary } from "./run";
