export { checkEdits, describeFailures, type EditRow, type RowResult } from "./check";
export { dryRunHashes, type TaskHashes } from "./dry-run";
export { readWorkspace, type Workspace, withDependents } from "./graph";
export { copyWorkspace, type WorkspaceCopy } from "./workspace-copy";
