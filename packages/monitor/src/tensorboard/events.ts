// The two messages of tensorflow/core/util/event.proto and summary.proto that scalar logging needs,
// hand-encoded with only the fields TensorBoard reads for scalars:
//   Event         { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary       { repeated Value value = 1; }
//   Summary.Value { string tag = 1; float simple_value = 2; }
// (`file_version` and `summary` are members of the `what` oneof: an event carries one of them.)

import { ProtoWriter } from "./protobuf";

/** The version string TensorBoard expects in the first event of a file. */
export const FILE_VERSION = "brain.Event:2";

const EVENT_WALL_TIME = 1;
const EVENT_STEP = 2;
const EVENT_FILE_VERSION = 3;
const EVENT_SUMMARY = 5;
const SUMMARY_VALUE = 1;
const VALUE_TAG = 1;
const VALUE_SIMPLE_VALUE = 2;

/** One scalar: a tag (such as `train/lm_loss`) and its value, stored as a 32-bit float. */
export interface ScalarValue {
  tag: string;
  value: number;
}

/** The event that opens every file: wall time and `file_version`, no step (proto3 omits a zero). */
export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter()
    .double(EVENT_WALL_TIME, wallTime)
    .string(EVENT_FILE_VERSION, FILE_VERSION)
    .finish();
}

/**
 * An event holding a Summary of scalar values at `step`. Several values may share one event:
 * TensorBoard reads each `Summary.Value` as its own (tag, step, value) point.
 */
export function encodeScalarEvent(
  wallTime: number,
  step: number,
  values: readonly ScalarValue[],
): Uint8Array {
  const summary = new ProtoWriter();
  for (const { tag, value } of values) {
    if (tag.length === 0) throw new RangeError(`TensorBoard scalar at step ${step}: empty tag`);
    const v = new ProtoWriter().string(VALUE_TAG, tag).float(VALUE_SIMPLE_VALUE, value).finish();
    summary.bytes(SUMMARY_VALUE, v);
  }
  const event = new ProtoWriter().double(EVENT_WALL_TIME, wallTime);
  if (step !== 0) event.int64(EVENT_STEP, step);
  return event.bytes(EVENT_SUMMARY, summary.finish()).finish();
}
