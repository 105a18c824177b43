// @neox/kernels: native CPU kernels behind Node-API, their TypeScript API and float64 references.
export * from "./convert";
export * from "./cuda";
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
export * from "./mpi";
export * from "./ops/alibi";
export * from "./ops/attention";
export * from "./ops/elementwise";
export * from "./ops/embedding";
export * from "./ops/loss";
export * from "./ops/norm";
export * from "./ops/optimizer";
export * from "./ops/rotary";
export * from "./peak";
export * as referenceAdamw from "./reference/adamw";
export * as referenceAlibi from "./reference/alibi";
export * as referenceAttention from "./reference/attention";
export * as referenceBiasAdd from "./reference/bias-add";
export * as referenceConvert from "./reference/convert";
export * as referenceCrossEntropy from "./reference/cross-entropy";
export * as referenceDropout from "./reference/dropout";
export * as referenceEmbedding from "./reference/embedding";
export * as referenceFill from "./reference/fill";
export * as referenceGelu from "./reference/gelu";
export * as referenceGemm from "./reference/gemm";
export * as referenceGlobalNorm from "./reference/global-norm";
export * as referenceGlu from "./reference/glu";
export * as referenceLayerNorm from "./reference/layer-norm";
export * as referenceLion from "./reference/lion";
export * as referenceReduce from "./reference/reduce";
export * as referenceRelu from "./reference/relu";
export * as referenceRmsNorm from "./reference/rms-norm";
export * as referenceRotary from "./reference/rotary";
export * as referenceSgd from "./reference/sgd";
export * as referenceSilu from "./reference/silu";
export * from "./runtime";
