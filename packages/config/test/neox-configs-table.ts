// The expected outcome of `neox config check FILE --json` for every config GPT-NeoX ships
// (../shared/reference/neox-configs, GPT-NeoX HEAD ea7aefd8), each file checked alone as a fragment.
// "pass" means GPT-NeoX accepts the file and this backend runs what it asks for; otherwise the
// exact set of error kinds, and why:
// - unsupported: GPT-NeoX accepts it, the feature is CUDA-only or not built here yet;
// - unknown_key: GPT-NeoX HEAD rejects the key too (its NeoXArgs dataclass has no such field);
// - incomplete: the file defines a model but lacks what GPT-NeoX's calculate_derived requires;
// - combination: a layout GPT-NeoX would refuse (or build and then crash on);
// - type: a value inside a DeepSpeed dict that GPT-NeoX passes on unchecked and that fails later.

export type Expected = "pass" | { kinds: readonly string[]; why: string };

const TE = "Transformer Engine (te_layernorm_mlp, te_mha) is CUDA-only";
const NO_BATCH =
  "defines a model but sets neither train_batch_size nor train_micro_batch_size_per_gpu; GPT-NeoX asserts (calculate_batch_parameters) — these files are meant to be combined with llama/train_config.yml";

export const NEOX_CONFIGS_EXPECTED: Readonly<Record<string, Expected>> = {
  "1-3B-transformer-engine.yml": { kinds: ["unsupported"], why: TE },
  "1-3B.yml": "pass",
  "125M-dmoe.yml": { kinds: ["unsupported"], why: "moe_num_experts > 1: mixture-of-experts" },
  "125M-json.yml": "pass",
  "125M.yml": "pass",
  "13B.yml": "pass",
  "175B.yml": "pass",
  "19M.yml": {
    kinds: ["unsupported"],
    why: "deepspeed_extra_args.comms_logger enabled: DeepSpeed's communication profiler",
  },
  "2-7B.yml": "pass",
  "20B.yml": "pass",
  "350M.yml": "pass",
  "49M.yml": "pass",
  "6-7B.yml": "pass",
  "760M.yml": "pass",
  "800M.yml": "pass",
  "bf16_125M.yml": "pass",
  "bnb_125M.yml": { kinds: ["unsupported"], why: "use_bnb_optimizer: bitsandbytes 8-bit Adam is CUDA-only" },
  "cpu_mock_config.yml": "pass",
  "docker/pythia-paths.yml": "pass",
  "eleutherai_cluster.yml": "pass",
  "finetuning_configs/6-9B.yml": "pass",
  "gmlp_small.yml": {
    kinds: ["type", "unsupported"],
    why: 'gMLP layers; and optimizer.params.eps is written 1.0e_8, which PyYAML (and we) read as the string "1.0e_8": apex FusedAdam would fail on it at the first step',
  },
  "llama/13B.yml": { kinds: ["incomplete"], why: NO_BATCH },
  "llama/30B.yml": { kinds: ["incomplete"], why: NO_BATCH },
  "llama/65B.yml": { kinds: ["incomplete"], why: NO_BATCH },
  "llama/7B.yml": { kinds: ["incomplete"], why: NO_BATCH },
  "llama/train_config.yml": "pass",
  "llama2/13B.yml": { kinds: ["incomplete"], why: NO_BATCH },
  "llama2/70B.yml": { kinds: ["incomplete"], why: NO_BATCH },
  "llama2/7B.yml": { kinds: ["incomplete"], why: NO_BATCH },
  "llama2/codellama_34B.yml": { kinds: ["incomplete"], why: NO_BATCH },
  "llama2/codellama_7B.yml": { kinds: ["incomplete"], why: NO_BATCH },
  "llemma/34B.yml": { kinds: ["unknown_key"], why: "attention_type is not a GPT-NeoX argument at HEAD" },
  "llemma/7B.yml": {
    kinds: ["unknown_key"],
    why: "decay_lr_to and warmup_iters are not GPT-NeoX arguments at HEAD",
  },
  "local_setup.yml": "pass",
  "local_setup_comet.yml": { kinds: ["unsupported"], why: "Comet logging" },
  "local_setup_wandb.yml": "pass",
  "mamba/mamba-1.4B.yml": { kinds: ["unsupported"], why: "Mamba layers" },
  "mamba/mamba-130M.yml": { kinds: ["unsupported"], why: "Mamba layers" },
  "mamba/mamba-2.8B.yml": { kinds: ["unsupported"], why: "Mamba layers" },
  "mamba/mamba-370M.yml": { kinds: ["unsupported"], why: "Mamba layers" },
  "mamba/mamba-790M.yml": { kinds: ["unsupported"], why: "Mamba layers" },
  "mistral/7B.yml": {
    kinds: ["combination", "incomplete"],
    why: "intermediate_size 14336 with swiglu and mlp_multiple_of 1 gives linear1 9558 but linear2 4778 (GPT-NeoX builds it and fails at the first forward; the per-half width should be 14336); and no batch size, as the llama files",
  },
  "prof.yml": { kinds: ["unsupported"], why: "nsys/PyTorch profiling and CUDA memory snapshots" },
  "pythia/1-4B.yml": "pass",
  "pythia/12B.yml": "pass",
  "pythia/14M.yml": "pass",
  "pythia/160M.yml": "pass",
  "pythia/1B.yml": "pass",
  "pythia/2-8B.yml": "pass",
  "pythia/31M.yml": "pass",
  "pythia/410M.yml": "pass",
  "pythia/6-9B.yml": "pass",
  "pythia/70M.yml": "pass",
  "rwkv/170M.yml": { kinds: ["unsupported"], why: "RWKV layers" },
  "slurm_125M.yml": "pass",
  "slurm_local.yml": "pass",
  "sparse.yml": {
    kinds: ["unsupported"],
    why: "DeepSpeed block-sparse attention (local layers, sparsity_config)",
  },
  "text_generation.yml": "pass",
};
