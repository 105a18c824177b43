// @neox/app-serve: `neox serve`, an OpenAI-compatible completions server over the shared scheduler.
export { HELP, parseArgs, type ServeArgs, UsageError } from "./args";
export { logprobsObject } from "./completions";
export { main } from "./main";
export { CompletionServer } from "./server";
export { type CompletionParams, type ModelLimits, parseCompletionRequest, RequestError } from "./validate";
