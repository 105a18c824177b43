// Host marks: points in a step where the host must act while the step is still running, such as
// starting the all-reduce of a gradient bucket the backward has just finished, so communication
// overlaps the rest of the backward. `hostMark(label)` calls the handler installed with `withMarks`
// at once; while `Plan.record` watches the step it also notes the mark's place among the kernel
// launches, and `plan.run(onMark)` calls `onMark(label)` at that same place on every replay.
//
// A mark is ordered with the kernels around it: on the CPU every launch before it has finished when
// the handler runs (launches are synchronous). A queued device adds an event there later.

export type MarkHandler = (label: number) => void;

/** What a recording plan implements to note marks (plan.ts). */
export interface MarkRecorder {
  marked(label: number): void;
}

let handler: MarkHandler | null = null;
let recorder: MarkRecorder | null = null;

/** Calls the active handler with `label` (and notes the place when a plan is recording). */
export function hostMark(label: number): void {
  recorder?.marked(label);
  handler?.(label);
}

/** Runs `body` with `onMark` receiving its marks; the previous handler comes back after. */
export function withMarks<T>(onMark: MarkHandler | null, body: () => T): T {
  const prev = handler;
  handler = onMark;
  try {
    return body();
  } finally {
    handler = prev;
  }
}

/** Installs the recorder of the plan being recorded; returns the previous one (plan.ts). */
export function setMarkRecorder(next: MarkRecorder | null): MarkRecorder | null {
  const prev = recorder;
  recorder = next;
  return prev;
}
