// One error type for everything the planner refuses, so `neox train` prints it as one line without
// a stack: the message already names the key, file:line or variable and what was expected.
export class LaunchError extends Error {
  override name = "LaunchError";
}
