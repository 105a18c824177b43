// The device new tensors are made on when their creator names none (as torch.set_default_device):
// "cpu" unless a program chooses otherwise, for instance `neox train --device cuda`. Ops put their
// outputs on their inputs' device; this default covers what is made from nothing (parameters,
// optimizer state, input batches, constants). Choosing a device opens its backend at once, so a
// machine without CUDA fails at the choice, with the backend's reason, not at the first tensor.
import type { Device } from "./backend";
import { getBackend } from "./registry";

let current: Device = "cpu";

/** The device `Tensor.empty` and `Tensor.fromArray` use when given none. */
export function defaultDevice(): Device {
  return current;
}

/** Sets the default device (opening its backend first); returns the previous one. */
export function setDefaultDevice(device: Device): Device {
  getBackend(device);
  const prev = current;
  current = device;
  return prev;
}

/**
 * A device named by a user: "cpu", "cuda" (device 0) or "cuda:N". `what` names where the text came
 * from in the error (a flag, an environment variable).
 */
export function parseDevice(text: string, what = "device"): Device {
  const t = text.trim().toLowerCase();
  if (t === "cpu") return "cpu";
  if (t === "cuda" || t === "gpu") return "cuda:0";
  const m = /^cuda:(\d+)$/.exec(t);
  if (m) return `cuda:${Number(m[1])}`;
  throw new Error(`${what}: "${text}" is not a device; expected cpu, cuda or cuda:N`);
}
