// @neox/kernels: native CPU kernels behind Node-API, their TypeScript API and float64 references.
export { addonCandidates, type NativeCore, native, nativeAvailable, nativeFunction } from "./loader";
export * from "./memory";
export * from "./ops/alibi";
export * from "./ops/attention";
export * from "./ops/rotary";
export * as referenceAlibi from "./reference/alibi";
export * as referenceAttention from "./reference/attention";
export * as referenceRotary from "./reference/rotary";
export * from "./runtime";
