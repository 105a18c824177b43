export { checkWorkspace, findCycles, type Violation } from "./check";
export { LIBRARY_EDGES } from "./rules";
