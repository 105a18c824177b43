// @neox/app-generate: `neox generate`, GPT-NeoX's generate.py.
export { type GenerateArgs, HELP, parseArgs, UsageError } from "./args";
export { interactive, PROMPT, type Terminal } from "./interactive";
export { main } from "./main";
export { writeSamples } from "./output";
export { maxNewTokens, type Prompt, PromptError, preparePrompt, promptSeed, readPromptFile } from "./prompts";
export { generateSamples, type SampleRecord, TextStream, toRecord } from "./samples";
export { GenerateConfigError, type GenerateSettings, readSettings, type TextGenType } from "./settings";
