// The train, valid and test datasets GPT-NeoX builds from a config (@neox/data-mmap's
// buildNeoxDataset: data_path with split, or *_data_paths with weights), index caches included.
import type { ResolvedConfig } from "@neox/config";
import { buildNeoxDataset, type NeoxDataArgs, type NeoxDataset } from "@neox/data-mmap";
import type { TrainData } from "@neox/trainer";

export function neoxDataArgs(r: ResolvedConfig): NeoxDataArgs {
  const v = r.values as Record<string, never>;
  return {
    data_path: v.data_path,
    split: v.split,
    train_data_paths: v.train_data_paths,
    valid_data_paths: v.valid_data_paths,
    test_data_paths: v.test_data_paths,
    train_data_weights: r.derived.train_data_weights,
    valid_data_weights: r.derived.valid_data_weights,
    test_data_weights: r.derived.test_data_weights,
    weight_by_num_documents: v.weight_by_num_documents,
    weighted_sampler_alpha: v.weighted_sampler_alpha,
    seq_length: Number(v.seq_length),
    seed: Number(v.seed ?? 1234),
    train_iters: v.train_iters,
    train_epochs: v.train_epochs,
    train_batch_size: r.derived.train_batch_size ?? 0,
    eval_interval: v.eval_interval,
    eval_iters: v.eval_iters,
    pack_impl: v.pack_impl,
    allow_chopped: v.allow_chopped,
    dataset_impl: v.dataset_impl,
  };
}

export function buildTrainData(
  r: ResolvedConfig,
  eod: number,
  log: (line: string) => void,
): TrainData & { close(): void } {
  const args = neoxDataArgs(r);
  const built: NeoxDataset[] = [];
  try {
    const one = (which: "train" | "valid" | "test") => {
      const d = buildNeoxDataset(args, which, { log });
      if (d) built.push(d);
      return d;
    };
    const train = one("train");
    if (!train) throw new Error("the train split is empty: check split or train_data_paths");
    const valid = one("valid");
    const test = one("test");
    return {
      train: train.dataset,
      valid: valid?.dataset ?? null,
      test: test?.dataset ?? null,
      eod,
      close: () => {
        for (const d of built) d.close();
      },
    };
  } catch (e) {
    for (const d of built) d.close();
    throw e;
  }
}
