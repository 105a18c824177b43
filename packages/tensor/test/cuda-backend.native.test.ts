// getBackend("cuda:N") on a machine without a usable GPU: the CUDA backend is tried (not refused
// as an unknown device) and its error names the GPU library it looked for and the NVIDIA driver.
// Where a GPU exists, the same call gives a backend whose memory and kernels round-trip data.
import { spawnSync } from "node:child_process";
import { CudaUnavailableError, cudaAvailable } from "@neox/kernels";
import { describe, expect, it } from "vitest";
import { cudaDeviceIndex } from "../src/backend/cuda";
import { getBackend } from "../src/index";

const driverPresent = spawnSync("sh", ["-c", "ldconfig -p | grep -q 'libcuda.so.1 '"]).status === 0;

describe("CUDA backend selection", () => {
  it("parses cuda:N and rejects other spellings", () => {
    expect(cudaDeviceIndex("cuda:0")).toBe(0);
    expect(cudaDeviceIndex("cuda:12")).toBe(12);
    expect(() => cudaDeviceIndex("cuda")).toThrow(/expected "cuda:N"/);
    expect(() => cudaDeviceIndex("cuda:-1")).toThrow(/expected "cuda:N"/);
  });

  it.runIf(!driverPresent)(
    "throws an error naming the GPU library and the driver where there is none",
    () => {
      let error: unknown;
      try {
        getBackend("cuda:0");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CudaUnavailableError);
      const message = (error as Error).message;
      expect(message).toMatch(/^CUDA is not available: /);
      expect(message).toContain("libneox_gpu.so");
      expect(message).toContain("libcuda.so.1");
      // And it is not cached as a backend: asking again tries again (and fails the same way).
      expect(() => getBackend("cuda:0")).toThrow(message);
    },
  );

  it.runIf(cudaAvailable())("round-trips data and runs its kernels on cuda:0", () => {
    const backend = getBackend("cuda:0");
    const n = 1000;
    const a = backend.allocate(4 * n);
    const b = backend.allocate(4 * n);
    const host = Float32Array.from({ length: n }, (_, i) => i * 0.25 - 7);
    backend.write(a, host);
    backend.kernel("copyF32")(b, a, n);
    const out = new Float32Array(n);
    backend.read(b, out);
    expect(out).toEqual(host);
    // Op kernels come from the GPU library's list; one it does not have yet still says so.
    expect(backend.hasKernel("layernormForward")).toBe(true);
    expect(() => backend.kernel("attentionDecodeStep")).toThrow(
      /"attentionDecodeStep" is not implemented on cuda yet/,
    );
    expect(backend.allocStats().liveBytes).toBeGreaterThanOrEqual(8 * n);
    backend.free(a);
    backend.free(b);
  });
});
