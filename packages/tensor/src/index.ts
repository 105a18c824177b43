// @neox/tensor: tensors over native memory, scopes, tape autograd and planned (zero-allocation)
// execution. Every kernel call goes through one typed launcher per kernel (kernels/) to a Backend.

/** rotary_ndims from rotary_pct (GPT-NeoX: int(head_size · rotary_pct)). */
/** The CPU the kernels run on: the ISA in use and the measured FMA / bf16 dot-product peaks. */
export {
  isa,
  numThreads,
  type PeakKind,
  peakGflops,
  peakHasBf16,
  rotaryDim,
  setNumThreads,
} from "@neox/kernels";

import { residentBytes as kernelResidentBytes } from "@neox/kernels";
import { itemSize } from "./dtype";

export { type BackwardOptions, backward, backwardMany } from "./autograd/backward";
export { GRAD_RULES, type GradRule } from "./autograd/grad-rules";
export { activeTape, isGradEnabled, noGrad, record, Tape, type TapeEntry, withTape } from "./autograd/tape";
export {
  type AllocStats,
  type Backend,
  type Device,
  type KernelArg,
  type KernelFn,
  REQUIRED_KERNELS,
  type Stream,
} from "./backend/backend";
export { defaultDevice, parseDevice, setDefaultDevice } from "./backend/default-device";
export { getBackend, registerBackend } from "./backend/registry";
export { bf16ToFloat, DTYPES, type DType, f16ToFloat, floatToBf16, floatToF16, itemSize } from "./dtype";
export * from "./io/safetensors";
export { type KernelName, k } from "./kernels";
export {
  type ArgKind,
  type KernelArgs,
  type KernelDecl,
  type LaunchArg,
  type Launcher,
  type LaunchObserver,
  Scalar,
  setLaunchObserver,
} from "./kernels/kernel";
export { argmaxRows } from "./ops/argmax";
export {
  type AttentionDropout,
  type AttentionPositions,
  type AttentionShape,
  alibiSlopes,
  causalSelfAttention,
  type QkvLayout,
  type RotaryTables,
  rotaryTables,
} from "./ops/attention";
export * from "./ops/basic";
export { biasAdd } from "./ops/bias-add";
export { checkpoint } from "./ops/checkpoint";
export { crossEntropy, crossEntropyRows, crossEntropyTrain } from "./ops/cross-entropy";
export { type DropoutRng, dropout } from "./ops/dropout";
export { embedding } from "./ops/embedding";
export { gelu } from "./ops/gelu";
export { type GluActivation, geglu, glu, reglu, swiglu } from "./ops/glu";
export {
  type CacheSegment,
  cachedSelfAttention,
  KvCache,
  type KvCacheDtype,
  segmentSelfAttention,
} from "./ops/kv-cache";
export { layerNorm } from "./ops/layer-norm";
export { gemm, type LinearOptions, linear } from "./ops/linear";
export { relu } from "./ops/relu";
export { RMS_NORM_EPS, rmsNorm } from "./ops/rms-norm";
export { silu } from "./ops/silu";
export { AdamW, type AdamWOptions } from "./optim/adamw";
export { FlatParams, type ParamRange, type ParamSpec } from "./optim/flat-params";
export { Lion, type LionOptions } from "./optim/lion";
export { FlatOptimizer, type Optimizer, type OptimizerOptions } from "./optim/optimizer";
export { SGD, type SGDOptions } from "./optim/sgd";
export { type StepInputs, type StepOutputs, StepScalars } from "./optim/step-scalars";
export { type ArenaLayout, assignOffsets, type Lifetime } from "./plan/arena";
export { hostMark, type MarkHandler, withMarks } from "./plan/marks";
export { Plan, type PlanStats } from "./plan/plan";
export { keep, scope } from "./scope";
export { Storage } from "./storage";
export { contiguousStrides, numelOf, type Shape, Tensor, type TensorOptions } from "./tensor";

import type { AllocStats } from "./backend/backend";
import { getBackend } from "./backend/registry";
import type { Tensor as TensorClass } from "./tensor";

/** Process-wide native allocation counters (bytes live, bytes and calls since start) of a device. */
export function allocStats(device: "cpu" = "cpu"): AllocStats {
  return getBackend(device).allocStats();
}

/**
 * Bytes of a CPU tensor's memory backed by RAM now (whole pages, mincore): pages never written or
 * handed back (MADV_DONTNEED: ZeRO stage 2's reduced gradient buckets) do not count.
 */
export function residentBytes(t: TensorClass): number {
  if (t.device !== "cpu") throw new Error(`residentBytes: ${t} is on ${t.device}, expected cpu`);
  return kernelResidentBytes(t.address, t.numel * itemSize(t.dtype));
}
