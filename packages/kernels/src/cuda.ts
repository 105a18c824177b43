// The CUDA library (libneox_gpu.so, built from kernels/gpu by nvcc) loaded on demand. The addon
// never links CUDA: loadCuda() asks it to dlopen the library, checks the ABI version of the table
// the library exports, and queries the devices. Every failure says what was looked for: the
// library paths tried, whether the NVIDIA driver (libcuda.so.1) loads, and the CUDA status.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { native } from "./loader";

export interface CudaDeviceInfo {
  index: number;
  name: string;
  /** Compute capability: sm_<major><minor>. */
  major: number;
  minor: number;
  multiprocessors: number;
  totalMemory: number;
}

/** The caching allocator's counters for one device (kernels/gpu/caching-allocator.h). */
export interface CudaAllocStats {
  allocatedBytes: number;
  reservedBytes: number;
  peakAllocatedBytes: number;
  peakReservedBytes: number;
  /** gpuMalloc calls served. */
  requests: number;
  /** Bytes handed out over the process lifetime (rounded block sizes). */
  totalBytes: number;
  /** cudaMalloc / cudaFree calls behind the cache. */
  deviceAllocs: number;
  deviceFrees: number;
  retries: number;
  liveBlocks: number;
  cachedBlocks: number;
}

/**
 * The addon's GPU entry points (packages/kernels/native/gpu-*.cc). Addresses, streams and events
 * are numbers; stream 0 is the default stream. Each throws naming itself and the CUDA error.
 */
export interface NativeGpu {
  gpuOpen(path: string): { path: string; abiVersion: number; runtimeVersion: number };
  gpuDriverLibrary(): { name: string; found: number; error: string };
  gpuDeviceCount(): { count: number; status: number; error: string };
  gpuDeviceInfo(device: number): Omit<CudaDeviceInfo, "index">;
  gpuSetDevice(device: number): void;
  gpuDeviceSynchronize(): void;
  gpuLoadCublas(): void;
  gpuLoadNccl(): void;
  gpuMalloc(bytes: number, stream?: number): number;
  gpuFree(address: number): void;
  gpuEmptyCache(): void;
  gpuAllocStats(device: number): CudaAllocStats;
  gpuResetPeakStats(device: number): void;
  gpuWrite(dst: number, src: Uint8Array): void;
  gpuRead(src: number, dst: Uint8Array): void;
  gpuCopy(dst: number, src: number, bytes: number, stream?: number): void;
  gpuMemset(dst: number, byte: number, bytes: number, stream?: number): void;
  gpuStreamCreate(): number;
  gpuStreamDestroy(stream: number): void;
  gpuStreamSynchronize(stream: number): void;
  gpuStreamWaitEvent(stream: number, event: number): void;
  gpuEventCreate(timing?: boolean): number;
  gpuEventDestroy(event: number): void;
  gpuEventRecord(event: number, stream?: number): void;
  gpuEventSynchronize(event: number): void;
  gpuEventElapsedMs(start: number, end: number): number;
  gpuFillF32(dst: number, value: number, n: number, stream?: number): void;
  gpuCopyF32(dst: number, src: number, n: number, stream?: number): void;
  gpuCastF32ToBf16(dst: number, src: number, n: number, stream?: number): void;
  gpuCastBf16ToF32(dst: number, src: number, n: number, stream?: number): void;
  gpuAddF32(out: number, a: number, b: number, n: number, stream?: number): void;
  gpuAxpyF32(y: number, alpha: number, x: number, n: number, stream?: number): void;
  /**
   * Queues the op kernel `name` (kernels/gpu/ops.h) on `stream` with the CPU kernel's arguments:
   * addresses, sizes and scalars as numbers, flags as booleans, lists as arrays of numbers.
   */
  gpuLaunch(name: string, stream: number, args: readonly (number | boolean | readonly number[])[]): void;
  /** Every op kernel of the open library as "name(arg:kind,...)" (kinds: see parseGpuOpSignature). */
  gpuOps(): string[];
}

/** One argument of a GPU op: its name and kind (kernels/gpu/api.h op_signature). */
export interface GpuOpParam {
  name: string;
  /** p address, o optional address, s size, i integer, f number, b flag, l list of numbers */
  kind: "p" | "o" | "s" | "i" | "f" | "b" | "l";
}

/** "sgemm(transA:b,...)" -> { name: "sgemm", params: [{ name: "transA", kind: "b" }, ...] }. */
export function parseGpuOpSignature(signature: string): { name: string; params: GpuOpParam[] } {
  const m = /^([A-Za-z0-9_]+)\((.*)\)$/.exec(signature);
  if (!m) throw new Error(`GPU op signature "${signature}": expected "name(arg:kind,...)"`);
  const params =
    m[2] === ""
      ? []
      : m[2]!.split(",").map((item) => {
          const [name, kind] = item.split(":");
          if (!name || !kind || !/^[posifbl]$/.test(kind))
            throw new Error(
              `GPU op signature "${signature}": bad item "${item}", expected "name:kind" with kind one of posifbl`,
            );
          return { name, kind: kind as GpuOpParam["kind"] };
        });
  return { name: m[1]!, params };
}

export interface Cuda {
  /** The library opened. */
  library: string;
  abiVersion: number;
  /** cudaRuntimeGetVersion of the library's static runtime: 13000 is CUDA 13.0. */
  runtimeVersion: number;
  devices: CudaDeviceInfo[];
  native: NativeGpu;
}

/** What loadCuda throws: CUDA cannot be used here, and why. */
export class CudaUnavailableError extends Error {
  override name = "CudaUnavailableError";
}

const LIBRARY_RELATIVE = ["../build/Release/libneox_gpu.so", "../build/Debug/libneox_gpu.so"];
export const CUDA_BUILD_HINT =
  "Build it with `pnpm --filter @neox/kernels build:gpu` (needs nvcc) or set NEOX_CUDA_LIB";
const INSUFFICIENT_DRIVER = 35; // cudaErrorInsufficientDriver
const NO_DEVICE = 100; // cudaErrorNoDevice

let cached: Cuda | undefined;

/** The paths tried, beside the addon: build/Release, build/Debug; or only $NEOX_CUDA_LIB when set. */
export function cudaLibraryCandidates(): string[] {
  const env = process.env.NEOX_CUDA_LIB;
  if (env) return [env];
  return LIBRARY_RELATIVE.map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
}

/** The addon's GPU entry points, without opening the library (gpuOpen does that). */
export function nativeGpu(): NativeGpu {
  return native() as unknown as NativeGpu;
}

function runtimeName(version: number): string {
  return `CUDA runtime ${Math.floor(version / 1000)}.${Math.floor((version % 1000) / 10)}`;
}

// "NVIDIA driver libcuda.so.1: found" or "...: not loadable (dlerror)".
function driverState(gpu: NativeGpu): { found: boolean; text: string } {
  const d = gpu.gpuDriverLibrary();
  return d.found
    ? { found: true, text: `NVIDIA driver ${d.name}: found` }
    : { found: false, text: `NVIDIA driver ${d.name}: not loadable (${d.error})` };
}

/**
 * Opens the CUDA library (once) and lists the devices. Throws CudaUnavailableError naming the
 * library paths tried, the driver library and the CUDA status when there is no usable device.
 */
export function loadCuda(): Cuda {
  if (cached) return cached;
  const gpu = nativeGpu();
  const tried: string[] = [];
  let opened: ReturnType<NativeGpu["gpuOpen"]> | undefined;
  for (const path of cudaLibraryCandidates()) {
    if (!existsSync(path)) {
      tried.push(`${path} (missing)`);
      continue;
    }
    try {
      opened = gpu.gpuOpen(path);
      break;
    } catch (error) {
      tried.push(
        `${path} (${error instanceof Error ? error.message.replace(/^gpuOpen: /, "") : String(error)})`,
      );
    }
  }
  if (!opened) {
    throw new CudaUnavailableError(
      `CUDA is not available: no CUDA library libneox_gpu.so: tried ${tried.join(", ")}. ` +
        `${CUDA_BUILD_HINT}. ${driverState(gpu).text}.`,
    );
  }
  const where = `${opened.path} (${runtimeName(opened.runtimeVersion)}, ABI ${opened.abiVersion})`;
  const count = gpu.gpuDeviceCount();
  if (count.status !== 0 || count.count === 0) {
    const driver = driverState(gpu);
    let why: string;
    if (count.status === INSUFFICIENT_DRIVER && !driver.found) {
      why = `${driver.text}; install the NVIDIA driver or run on a machine with a GPU`;
    } else if (count.status === INSUFFICIENT_DRIVER) {
      why = `${driver.text}, but it is older than ${runtimeName(opened.runtimeVersion)} needs; update the driver`;
    } else if (count.status === NO_DEVICE || count.status === 0) {
      why = `${driver.text}, but it reports no device; check nvidia-smi and CUDA_VISIBLE_DEVICES`;
    } else {
      why = driver.text;
    }
    const status = count.status === 0 ? "no devices" : count.error;
    throw new CudaUnavailableError(
      `CUDA is not available: opened ${where}; cudaGetDeviceCount: ${status.replace(/^cudaGetDeviceCount: /, "")}. ${why}.`,
    );
  }
  const devices: CudaDeviceInfo[] = [];
  for (let index = 0; index < count.count; index++) devices.push({ index, ...gpu.gpuDeviceInfo(index) });
  cached = {
    library: opened.path,
    abiVersion: opened.abiVersion,
    runtimeVersion: opened.runtimeVersion,
    devices,
    native: gpu,
  };
  return cached;
}

/** True when loadCuda() finds a device; never throws. */
export function cudaAvailable(): boolean {
  try {
    loadCuda();
    return true;
  } catch {
    return false;
  }
}
