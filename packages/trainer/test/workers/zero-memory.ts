// Run under mpirun by test/zero-memory.mpi.test.ts: trains a 2-layer d256 model for 3 iterations
// at the ZeRO stage given on the command line and prints, from every rank, one line
// `REPORT {"rank", "stage", "numel", "liveBytes", "estimate", "gradResident", "losses"}`: the
// native bytes allocated (parameters, gradients, optimizer state, the plans' arenas), the dry run's
// estimate of the gradients and optimizer state, and the bytes of the full flat gradient backed by
// memory after the last step.

import { Monitor } from "@neox/monitor";
import { allocStats, residentBytes } from "@neox/tensor";
import { DataParallel, Trainer, trainMemoryOf } from "../../src/index";
import { ArraySource, configOf, SEQ, VOCAB } from "../helpers";

const stage = Number(process.argv[2]);
const dp = DataParallel.fromEnv();
if (!dp) throw new Error("zero-memory worker: not started by mpirun");
const config = configOf(
  {
    num_layers: 2,
    hidden_size: 256,
    num_attention_heads: 4,
    seq_length: SEQ,
    max_position_embeddings: SEQ,
    make_vocab_size_divisible_by: 8,
    num_gpus: dp.size,
    train_micro_batch_size_per_gpu: 2,
    gradient_accumulation_steps: 2,
    train_iters: 3,
    optimizer: { type: "Adam", params: { lr: 0.001 } },
    zero_optimization: { stage, overlap_comm: true, reduce_bucket_size: 100_000 },
    eval_iters: 0,
  },
  VOCAB,
);
const tokens = Int32Array.from({ length: 64 * (SEQ + 1) }, (_, i) => (i * 7 + (i >> 3)) % VOCAB);
const t = new Trainer(
  config,
  { train: new ArraySource(tokens, SEQ), valid: null, test: null, eod: null },
  new Monitor([]),
  {
    dataParallel: dp,
  },
);
const out = await t.run();
const grads = t.model.registry.flat.grads;
const report = {
  rank: dp.rank,
  stage,
  numel: t.model.registry.numel,
  liveBytes: allocStats().liveBytes,
  // what `neox train --dry-run` estimates for the state the stages change
  estimate: (({ gradients, optimizer_state }) => gradients + optimizer_state)(trainMemoryOf(config)),
  gradResident: residentBytes(grads),
  losses: out.losses,
};
console.log(`REPORT ${JSON.stringify(report)}`);
t.dispose();
await dp.barrier();
dp.group.finalize();
