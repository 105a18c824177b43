// @neox/app-eval: `neox eval`, lm-evaluation-harness 0.4's algorithms on local task files.
export { main } from "./main";
