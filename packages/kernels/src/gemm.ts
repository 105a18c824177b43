// GEMM on native memory, row-major like cblas: C = alpha * op(A) * op(B) + beta * C, with op(A)
// M x K and op(B) K x N; A, B, C are addresses from alloc(), lda/ldb/ldc row strides in elements.
// beta = 0 overwrites C without reading it. Kernels: kernels/cpu/gemm.cc (blocked AVX-512/AVX2/
// portable, multi-threaded). The bf16 / f16 variants take bf16 / IEEE fp16 A and B (raw bits) and
// accumulate in fp32 into fp32 C.
import { lazyNative, nativeFunction } from "./loader";

type Gemm = (
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: number,
  lda: number,
  B: number,
  ldb: number,
  beta: number,
  C: number,
  ldc: number,
) => void;
type GemmBatched = (
  ...args: [...Parameters<Gemm>, strideA: number, strideB: number, strideC: number, batch: number]
) => void;
type OpenblasGemm = (...args: [...Parameters<Gemm>, threads: number]) => void;

// Looked up once: a call costs one Node-API transition, nothing more.
const sgemmFn = lazyNative<Gemm>("sgemm");
const bf16Fn = lazyNative<Gemm>("gemmBf16");
const sgemmBatchedFn = lazyNative<GemmBatched>("sgemmStridedBatched");
const bf16BatchedFn = lazyNative<GemmBatched>("gemmBf16StridedBatched");
const f16Fn = lazyNative<Gemm>("gemmF16");
const f16BatchedFn = lazyNative<GemmBatched>("gemmF16StridedBatched");

/** fp32 GEMM: C = alpha * op(A) * op(B) + beta * C. */
export function gemm(...args: Parameters<Gemm>): void {
  sgemmFn()(...args);
}

/** bf16 A and B (raw bits), fp32 accumulation and C. */
export function gemmBf16(...args: Parameters<Gemm>): void {
  bf16Fn()(...args);
}

/** `batch` GEMMs; matrix b uses A + b*strideA, B + b*strideB, C + b*strideC (strides in elements). */
export function gemmStridedBatched(...args: Parameters<GemmBatched>): void {
  sgemmBatchedFn()(...args);
}

export function gemmStridedBatchedBf16(...args: Parameters<GemmBatched>): void {
  bf16BatchedFn()(...args);
}

/**
 * IEEE fp16 A and B (raw bits), fp32 accumulation and C. No x86 core here has an fp16 FMA, so the
 * operands are widened to fp32 while packed (exact) and the fp32 tile runs: about fp32 speed.
 */
export function gemmF16(...args: Parameters<Gemm>): void {
  f16Fn()(...args);
}

export function gemmStridedBatchedF16(...args: Parameters<GemmBatched>): void {
  f16BatchedFn()(...args);
}

export type GemmBf16Path = "dot" | "fp32";

/**
 * The path bf16 GEMMs take under the active ISA: "dot" (vdpbf16ps, AVX-512 BF16) or "fp32" (bf16
 * widened while packing, then the fp32 tile). Under AVX-512 the default is timed once per process
 * and the faster kept (NEOX_GEMM_BF16=dot|fp32|auto overrides).
 */
export function gemmBf16Path(): GemmBf16Path {
  return nativeFunction<() => GemmBf16Path>("gemmBf16Path")();
}

/** Forces the bf16 path ("auto" restores the timed choice); tests run both. */
export function setGemmBf16Path(path: GemmBf16Path | "auto"): void {
  nativeFunction<(p: string) => void>("setGemmBf16Path")(path);
}

/** "" when OpenBLAS (libopenblas.so.0) loads at run time, else why it does not. */
export function openblasStatus(): string {
  return nativeFunction<() => string>("openblasStatus")();
}

/** The CPU kernel OpenBLAS picked ("SkylakeX", "Haswell", ...; "" when it did not load). */
export function openblasCore(): string {
  return nativeFunction<() => string>("openblasCore")();
}

/**
 * OpenBLAS's cblas_sgemm with the same arguments, plus its thread count (<= 0 keeps OpenBLAS's
 * own): a cross-check and benchmark anchor. Throws when OpenBLAS is not available.
 */
export function openblasGemm(...args: Parameters<OpenblasGemm>): void {
  nativeFunction<OpenblasGemm>("openblasSgemm")(...args);
}
