// The checkpoint directory, layout-independent (DESIGN §8): full named tensors whatever the
// parallel layout that wrote them.
//
//   <save>/latest                         text: the newest tag, e.g. "global_step1000"
//   <save>/global_step{N}/
//     model.safetensors                   every parameter (fp32 master) by the models' names
//     optim/state.safetensors             optimizer state per parameter: "exp_avg.<name>", ...
//     trainer_state.json                  iteration, optimizer step, scheduler, loss scaler, data
//                                         positions, seed, batch layout (TrainerState below)
//     config.json                         the resolved config values
//     configs/<file>.yml                  the config files as given (GPT-NeoX copies them too)
//     index.json                          every file above with its size and SHA-256, every tensor
//                                         with its shape and dtype; written last inside the directory
//
// The weights file sits at the top so `neox model logits --load <save>` and @neox/models'
// loadWeights read a checkpoint directly; the optimizer state is one level down, out of their way.
// A checkpoint is written under a temporary name that never starts with "global_step" and renamed
// into place; `latest` is replaced the same way, last.
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";

// The names every reader shares live in @neox/models (checkpoint-format.ts).
import type { CHECKPOINT_FORMAT } from "@neox/models";

export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CONFIG_FILE,
  INDEX_FILE,
  LATEST_FILE,
  MODEL_FILE,
  STATE_FILE,
  TAG_PATTERN,
  tagOf,
} from "@neox/models";
export const OPTIM_FILE = "optim/state.safetensors";
/** Prefix of a checkpoint being written: `<prefix><N>-<pid>-<random>`; never a `global_step*` name. */
export const TEMP_PREFIX = ".neox-tmp-global_step";
/** Prefix of a replaced checkpoint on its way out. */
export const TRASH_PREFIX = ".neox-old-global_step";

export interface IndexedFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface IndexedTensor {
  file: string;
  shape: number[];
  dtype: string;
}

export interface CheckpointIndex {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  iteration: number;
  files: IndexedFile[];
  tensors: Record<string, IndexedTensor>;
}

/** Everything besides tensors that a bit-exact resume needs. */
export interface TrainerState {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Iterations completed. */
  iteration: number;
  /** Optimizer steps taken (lags `iteration` by the skipped fp16 steps). */
  optimizerStep: number;
  optimizer: { kind: string; hyper: Record<string, unknown>; hasState: boolean };
  scheduler: Record<string, unknown>;
  lossScaler: Record<string, unknown> | null;
  /** Global micro-batches consumed from each split's stream. */
  data: { train: number; valid: number };
  seed: number;
  precision: string;
  batch: { micro: number; gas: number; dataParallel: number; seqLength: number };
  /** Skipped (overflow) iterations so far. */
  skipped: number;
}

/** SHA-256 of a file, read in 8 MiB pieces. */
export function sha256File(path: string): string {
  const h = createHash("sha256");
  const buf = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(path, "r");
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}
