// Every kernel call of every tensor operation passes through `launch`: it resolves tensors to
// device addresses and calls the backend's kernel. While a step is being recorded for a plan, the
// recorder sees each launch with its tensors still symbolic, so it can re-home them in an arena.

import type { Backend, KernelArg } from "./backend/backend";
import type { Tensor } from "./tensor";

/**
 * A number a plan re-reads on every replay (learning rate, optimizer step). Pass it where a kernel
 * takes that number; in eager mode its current value is used.
 */
export class Scalar {
  constructor(
    public value: number,
    readonly name = "scalar",
  ) {}
}

/** A kernel argument: numbers and flags pass as they are, tensors as their device address. */
export type LaunchArg = number | boolean | Tensor | Scalar | readonly (number | Tensor)[];

function resolve(a: LaunchArg): KernelArg {
  if (typeof a === "number" || typeof a === "boolean") return a;
  if (a instanceof Scalar) return a.value;
  if (Array.isArray(a)) return a.map((x: number | Tensor) => (typeof x === "number" ? x : x.address));
  return (a as Tensor).address;
}

export interface LaunchObserver {
  launched(backend: Backend, kernel: string, args: readonly LaunchArg[]): void;
}

let observer: LaunchObserver | null = null;

export function setLaunchObserver(next: LaunchObserver | null): LaunchObserver | null {
  const previous = observer;
  observer = next;
  return previous;
}

export function launch(backend: Backend, kernel: string, args: readonly LaunchArg[]): void {
  const fn = backend.kernel(kernel);
  const resolved = args.map(resolve);
  observer?.launched(backend, kernel, args);
  fn(...resolved);
}
