export { ALIASES, type Alias, applyAliases } from "./args/aliases";
export { ALL_ARGS, ARGS_BY_NAME, unsupportedMessage } from "./args/index";
export { resolveForVerb, UsageError } from "./command";
export {
  batchTriple,
  type Derived,
  type DeriveOptions,
  derive,
  expandAttention,
  mlpWidths,
  type Precision,
  paddedVocab,
} from "./derive";
export { renderArgumentsReference } from "./docs";
export {
  MAX_CONFIG_BYTES,
  MAX_CONFIG_DEPTH,
  MAX_CONFIG_NODES,
  MAX_EXPANDED_NODES,
  MAX_REPORTED_PROBLEMS,
} from "./load/limits";
export { decodeConfigBytes, type ReadResult, readConfigFile } from "./load/read-file";
export { type ParsedFile, parseConfigText } from "./load/yaml-file";
export {
  ConfigError,
  formatProblem,
  formatSource,
  type Problem,
  type ProblemKind,
  type SourceRef,
} from "./problems";
export {
  loadConfig,
  NEOX_REQUIRED_KEYS,
  type Note,
  type ResolvedConfig,
  type ResolveOptions,
  resolveConfig,
  resolveParsed,
  TRAIN_REQUIRED_KEYS,
  withVocabSize,
} from "./resolve";
export type { ArgDecl, ArgType, Category, Support } from "./schema/types";
export { flatJson, renderShow } from "./show";
