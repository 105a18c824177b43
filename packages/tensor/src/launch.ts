// Every kernel call of every tensor operation passes through `launch`: it resolves tensors to
// device addresses and calls the backend's kernel. While a step is being recorded for a plan, the
// recorder sees each launch with its tensors still symbolic, so it can re-home them in an arena.

import type { Backend } from "./backend/backend";
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

export type LaunchArg = number | Tensor | Scalar;

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
  const resolved = new Array<number>(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    resolved[i] = typeof a === "number" ? a : a instanceof Scalar ? a.value : a.address;
  }
  observer?.launched(backend, kernel, args);
  fn(...resolved);
}
