// @neox/kernels: native CPU kernels behind Node-API, their TypeScript API and float64 references.
export { addonCandidates, type NativeCore, native, nativeAvailable, nativeFunction } from "./loader";
export * from "./memory";
export * from "./runtime";
