// One backend per device, created on first use. The CPU backend loads @neox/kernels lazily so that
// importing @neox/tensor never loads native code by itself; a "cuda:N" backend opens the GPU
// library on first use and throws, naming what it looked for, where CUDA cannot be used.

import type { Backend, Device } from "./backend";
import { createCpuBackend } from "./cpu";
import { createCudaBackend } from "./cuda";

const backends = new Map<Device, Backend>();

export function getBackend(device: Device): Backend {
  let backend = backends.get(device);
  if (backend) return backend;
  if (device.startsWith("cuda:")) backend = createCudaBackend(device as `cuda:${number}`);
  else if (device === "cpu") backend = createCpuBackend();
  else throw new Error(`no backend for device "${device}": expected "cpu" or "cuda:N"`);
  backends.set(device, backend);
  return backend;
}

/** Install a backend for its device (a test double, or a backend built another way). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.device, backend);
}
