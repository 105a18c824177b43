// The tape: an ordered record of coarse ops (op name, inputs, outputs, saved tensors, attributes).
// Ops call `record` after their forward kernel; `backward` (backward.ts) walks it in reverse with
// the rules of grad-rules.ts. Saved tensors are private aliases, so scopes may dispose the
// originals without pulling memory out from under the backward pass.

import type { Tensor } from "../tensor";

export interface TapeEntry {
  readonly op: string;
  /** Inputs by identity, for routing gradients (null for non-tensor inputs such as token ids). */
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: readonly Tensor[];
  /** Tensors the gradient rule reads, held by the tape until the entry is consumed. */
  readonly saved: Tensor[];
  readonly attrs: Readonly<Record<string, unknown>>;
}

export class Tape {
  entries: TapeEntry[] = [];

  /** Drop every entry and the tensors they saved (when no backward pass will come). */
  clear(): void {
    for (const entry of this.entries) releaseEntry(entry);
    this.entries = [];
  }
}

export function releaseEntry(entry: TapeEntry): void {
  for (const t of entry.saved) t.dispose();
  entry.saved.length = 0;
}

let active = new Tape();
let gradEnabled = true;

export function activeTape(): Tape {
  return active;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording: no tape entries, outputs do not require grad. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Run `fn` recording onto `tape` (checkpoint recomputation records onto a private tape). */
export function withTape<T>(tape: Tape, fn: () => T): T {
  const previous = active;
  const previousEnabled = gradEnabled;
  active = tape;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    active = previous;
    gradEnabled = previousEnabled;
  }
}

/** True when an op over these inputs must be recorded. */
export function needsGrad(inputs: readonly (Tensor | null)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t?.requiresGrad) return true;
  return false;
}

/**
 * Record one op. Call it after the forward kernel with every tensor the rule needs in `saved`;
 * does nothing when no input requires grad (so `saved` costs nothing under noGrad).
 */
export function record(
  op: string,
  inputs: readonly (Tensor | null)[],
  outputs: readonly Tensor[],
  saved: readonly Tensor[] = [],
  attrs: Record<string, unknown> = {},
): void {
  if (!needsGrad(inputs)) return;
  const entry: TapeEntry = { op, inputs, outputs, saved: saved.map((t) => t.alias()), attrs };
  for (const out of outputs) out.markProduced(entry);
  active.entries.push(entry);
}
