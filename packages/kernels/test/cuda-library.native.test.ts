// The CUDA library without a GPU: libneox_gpu.so is built whenever nvcc is present, exports the
// one entry neox_gpu_api and depends on no CUDA library (the runtime is static), gpuOpen reports
// its ABI and runtime version, and on a machine without the NVIDIA driver loadCuda() fails with
// an error naming the library and the driver instead of crashing. (cuda.gpu.test.ts runs the
// library on a device.)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { CudaUnavailableError, cudaLibraryCandidates, loadCuda, nativeGpu } from "../src/index";
import { describeNative } from "./helpers/native";

// "release 13.0" in `nvcc --version` -> 13000, the form cudaRuntimeGetVersion reports.
function nvccRuntimeVersion(): number | undefined {
  const run = spawnSync("nvcc", ["--version"], { encoding: "utf8" });
  if (run.status !== 0) return undefined;
  const m = /release (\d+)\.(\d+)/.exec(run.stdout);
  return m ? Number(m[1]) * 1000 + Number(m[2]) * 10 : undefined;
}

const nvcc = nvccRuntimeVersion();
const library = cudaLibraryCandidates()[0]!;
const savedEnv = process.env.NEOX_CUDA_LIB;
if (nvcc === undefined) console.warn("skipping the libneox_gpu.so checks: nvcc is not on PATH");

afterEach(() => {
  if (savedEnv === undefined) delete process.env.NEOX_CUDA_LIB;
  else process.env.NEOX_CUDA_LIB = savedEnv;
});

describeNative("CUDA library loading", () => {
  // Before any successful gpuOpen: the addon keeps the first library it opens.
  it("names the path tried when NEOX_CUDA_LIB is missing or not a GPU library", () => {
    process.env.NEOX_CUDA_LIB = "/nonexistent/libneox_gpu.so";
    expect(cudaLibraryCandidates()).toEqual(["/nonexistent/libneox_gpu.so"]);
    expect(() => loadCuda()).toThrow(CudaUnavailableError);
    expect(() => loadCuda()).toThrow(
      /tried \/nonexistent\/libneox_gpu\.so \(missing\)\. Build it with `pnpm --filter @neox\/kernels build:gpu`.*libcuda\.so\.1/,
    );
    // An existing file that is not our library: the addon itself has no neox_gpu_api.
    const addon = new URL("../build/Release/neox_kernels.node", import.meta.url).pathname;
    process.env.NEOX_CUDA_LIB = addon;
    expect(() => loadCuda()).toThrow(`${addon} (${addon} does not export neox_gpu_api`);
  });

  // Stand-in libraries built here from kernels/gpu/api.h: the addon's checks of the table, before
  // the real library is opened (the addon keeps the first library it opens).
  const cc = spawnSync("cc", ["--version"]).status === 0;
  it.runIf(cc)(
    "refuses a library of an older ABI, naming both versions, and a table with a null slot",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "neox-gpu-abi-"));
      const apiHeader = fileURLToPath(new URL("../../../kernels/gpu/api.h", import.meta.url));
      const build = (name: string, body: string) => {
        const src = join(dir, `${name}.c`);
        writeFileSync(src, `#include "${apiHeader}"\n${body}\n`);
        execFileSync("cc", ["-shared", "-fPIC", "-o", join(dir, `${name}.so`), src]);
        return join(dir, `${name}.so`);
      };
      // ABI 0: answers only neox_gpu_api(0), as a library older than this addon would.
      const old = build(
        "old",
        "static NeoxGpuApi t = {0, sizeof(NeoxGpuApi)};\n" +
          "const NeoxGpuApi* neox_gpu_api(int v) { return v <= 0 ? &t : 0; }",
      );
      expect(() => nativeGpu().gpuOpen(old)).toThrow(`${old} has GPU ABI version 0, this addon needs 2`);
      const hollow = build(
        "hollow",
        "static NeoxGpuApi t = {NEOX_GPU_ABI_VERSION, sizeof(NeoxGpuApi)};\n" +
          "const NeoxGpuApi* neox_gpu_api(int v) { return v <= NEOX_GPU_ABI_VERSION ? &t : 0; }",
      );
      expect(() => nativeGpu().gpuOpen(hollow)).toThrow(`${hollow}: API table entry 0 is null`);
    },
  );

  it.runIf(nvcc !== undefined)(
    "builds libneox_gpu.so exporting neox_gpu_api with no CUDA library dependency",
    () => {
      expect(existsSync(library), `${library} is missing: run pnpm --filter @neox/kernels build:native`).toBe(
        true,
      );
      const symbols = execFileSync("nm", ["-D", "--defined-only", library], { encoding: "utf8" });
      expect(symbols).toMatch(/ T neox_gpu_api$/m);
      const needed = execFileSync("readelf", ["-d", library], { encoding: "utf8" })
        .split("\n")
        .filter((line) => line.includes("(NEEDED)"))
        .map((line) => /\[(.*)\]/.exec(line)?.[1]);
      expect(needed.length).toBeGreaterThan(0);
      for (const lib of needed) expect(lib).not.toMatch(/cuda|cublas|nccl/);
    },
  );

  it.runIf(nvcc !== undefined)("opens it and reports ABI 2 and the runtime of the nvcc that built it", () => {
    const opened = nativeGpu().gpuOpen(library);
    expect(opened).toEqual({ path: library, abiVersion: 2, runtimeVersion: nvcc });
    // A second, different library is refused rather than silently mixed with the first.
    expect(() => nativeGpu().gpuOpen("/tmp/other/libneox_gpu.so")).toThrow(/already open/);
  });

  it.runIf(nvcc !== undefined)(
    "without the NVIDIA driver, fails naming the library, the driver and the CUDA error",
    () => {
      const gpu = nativeGpu();
      gpu.gpuOpen(library);
      const driver = gpu.gpuDriverLibrary();
      if (driver.found) {
        // A GPU machine: the same call must find a device instead.
        expect(loadCuda().devices.length).toBeGreaterThan(0);
        return;
      }
      expect(driver.error).toContain("libcuda.so.1");
      let message = "";
      try {
        loadCuda();
      } catch (error) {
        expect(error).toBeInstanceOf(CudaUnavailableError);
        message = (error as Error).message;
      }
      expect(message).toContain(`opened ${library}`);
      expect(message).toContain("cudaErrorInsufficientDriver (35)");
      expect(message).toContain("NVIDIA driver libcuda.so.1: not loadable");
      expect(message).toContain("install the NVIDIA driver");
      // The table answers cleanly without a device: statuses and messages, no crash.
      expect(gpu.gpuDeviceCount()).toMatchObject({ count: 0, status: 35 });
      expect(() => gpu.gpuMalloc(1024)).toThrow(/gpuMalloc: .*cudaErrorInsufficientDriver \(35\)/);
      expect(() => gpu.gpuStreamCreate()).toThrow(/cudaErrorInsufficientDriver/);
      expect(() => gpu.gpuFree(4096)).toThrow(/not a live device block/);
      expect(gpu.gpuAllocStats(0)).toMatchObject({ allocatedBytes: 0, requests: 0, deviceAllocs: 0 });
    },
  );

  it.runIf(nvcc !== undefined)("loads cuBLAS and NCCL at run time, or names each soname tried", () => {
    const gpu = nativeGpu();
    gpu.gpuOpen(library);
    const present = (soname: string) =>
      spawnSync("sh", ["-c", `ldconfig -p | grep -q '${soname} '`]).status === 0;
    if (present("libcublas.so.13") || present("libcublas.so.12"))
      expect(() => gpu.gpuLoadCublas()).not.toThrow();
    else
      expect(() => gpu.gpuLoadCublas()).toThrow(
        /cuBLAS: could not load libcublas\.so\.13 \(.*\), libcublas\.so\.12 \(.*\); install it/,
      );
    if (present("libnccl.so.2")) expect(() => gpu.gpuLoadNccl()).not.toThrow();
    else expect(() => gpu.gpuLoadNccl()).toThrow(/NCCL: could not load libnccl\.so\.2 \(/);
  });
});
