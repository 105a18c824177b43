// @neox/kernels: native CPU kernels behind Node-API, their TypeScript API and float64 references.
export * from "./convert";
export * from "./gemm";
export {
  addonCandidates,
  lazyNative,
  type NativeCore,
  native,
  nativeAvailable,
  nativeFunction,
} from "./loader";
export * from "./memory";
export * from "./ops/alibi";
export * from "./ops/attention";
export * from "./ops/rotary";
export * as referenceAlibi from "./reference/alibi";
export * as referenceAttention from "./reference/attention";
export * as referenceConvert from "./reference/convert";
export * as referenceGemm from "./reference/gemm";
export * as referenceRotary from "./reference/rotary";
export * from "./runtime";
