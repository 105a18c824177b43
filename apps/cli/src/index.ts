export { main, usage, verbHelp } from "./main";
export { VERBS, type Verb } from "./verbs";
