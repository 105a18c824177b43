// @neox/parallel: process groups and their collectives (Open MPI now, NCCL later).
export type {
  CommBackend,
  CommBuffer,
  CommDevice,
  CommDtype,
  CommStream,
  GroupInfo,
  ReduceOp,
} from "./backend";
export { type InitOptions, initProcessGroup, launcherRank } from "./init";
export { MpiBackend } from "./mpi-backend";
export { type Buffer, commBuffer, ProcessGroup, type ReduceOptions } from "./process-group";
