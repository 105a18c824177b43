// One backend per device, created on first use. The CPU backend loads @neox/kernels lazily so that
// importing @neox/tensor never loads native code by itself.

import type { Backend, Device } from "./backend";
import { createCpuBackend } from "./cpu";

const backends = new Map<Device, Backend>();

export function getBackend(device: Device): Backend {
  let backend = backends.get(device);
  if (backend) return backend;
  if (device !== "cpu") {
    throw new Error(
      `no backend for device "${device}": only "cpu" is implemented; register one with registerBackend()`,
    );
  }
  backend = createCpuBackend();
  backends.set(device, backend);
  return backend;
}

/** Install a backend for its device (a CUDA backend, or a test double). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.device, backend);
}
