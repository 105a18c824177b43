// Support classes: no set key is silently ignored, every refusal names its feature, and the
// switches that change numbers are never filed as "no effect".
import { describe, expect, it } from "vitest";
import { ALL_ARGS, ARGS_BY_NAME, unsupportedMessage } from "../../src/args/index";
import type { ArgDecl } from "../../src/schema/types";

const decl = (name: string): ArgDecl => {
  const d = ARGS_BY_NAME.get(name);
  if (!d) throw new Error(`${name} is not declared`);
  return d;
};
const message = (name: string, value: unknown) => unsupportedMessage(decl(name), value);

describe("support classes", () => {
  it("give every no-effect key a note and every unsupported key a feature", () => {
    for (const d of ALL_ARGS) {
      if (d.support.status === "no_effect") expect(d.support.note.length, d.name).toBeGreaterThan(10);
      if (d.support.status === "unsupported") expect(d.support.feature.length, d.name).toBeGreaterThan(3);
    }
  });

  it("never refuse an unsupported key at its default or unset", () => {
    for (const d of ALL_ARGS) {
      expect(unsupportedMessage(d, d.default), d.name).toBeUndefined();
      expect(unsupportedMessage(d, null), d.name).toBeUndefined();
    }
  });

  it("refuse every unsupported key set to some non-default value, naming its feature", () => {
    // A value of the key's own type that differs from its default; explain/when keys get the
    // triggering value the feature is about.
    const triggers: Record<string, unknown> = {
      norm: "te_rmsnorm",
      pos_emb: "rpe",
      attention_config: [[["mamba"], 2]],
      sparsity_config: { block: 16 },
      soft_prompt_tuning: { enabled: true },
      optimizer_type: "sm3",
      zero_stage: 3,
      init_method: "orthogonal",
      output_layer_init_method: "scaled_orthogonal",
      data_impl: "cached",
      dataset_impl: "pairwise",
      train_impl: "kto",
      text_gen_type: "precompute",
      launcher: "mvapich",
      optimizer: { type: "OneBitAdam", params: { lr: 1e-4 } },
      zero_optimization: { stage: 3 },
      scheduler: { type: "WarmupLR", params: {} },
      sparse_attention: { mode: "fixed" },
      compression_training: { weight_quantization: {} },
    };
    const flip = (d: ArgDecl): unknown => {
      if (d.name in triggers) return triggers[d.name];
      if (typeof d.default === "boolean") return !d.default;
      if (typeof d.default === "number") return d.default + 3;
      if (d.type.kind === "dict" || (d.type.kind === "optional" && d.type.of.kind === "dict"))
        return { enabled: true };
      if (d.type.kind === "list" || (d.type.kind === "optional" && d.type.of.kind === "list")) return ["x"];
      if (d.type.kind === "int") return 7;
      if (d.type.kind === "float") return 0.5;
      if (d.type.kind === "bool") return true;
      return "something-else";
    };
    for (const d of ALL_ARGS.filter((x) => x.support.status === "unsupported")) {
      const msg = unsupportedMessage(d, flip(d));
      expect(msg, d.name).toMatch(/: .+ is not supported yet$/);
    }
  });

  it("word the messages as the issue asks", () => {
    expect(message("moe_num_experts", 8)).toBe(
      "moe_num_experts > 1: mixture-of-experts is not supported yet",
    );
    expect(message("moe_num_experts", 1)).toBeUndefined();
    expect(message("norm", "TE_RMSNorm")).toBe(
      "norm: te_rmsnorm: Transformer Engine RMSNorm is not supported yet",
    );
    expect(message("norm", "rmsnorm")).toBeUndefined();
    expect(message("norm", "non_parametric_layernorm")).toBeUndefined();
    expect(message("pos_emb", "rpe")).toBe("pos_emb: rpe: T5 relative position bias is not supported yet");
    for (const p of ["learned", "rotary", "sinusoidal", "alibi", "none"])
      expect(message("pos_emb", p), p).toBeUndefined();
    expect(message("train_impl", "dpo")).toBe("train_impl: dpo: DPO training is not supported yet");
    expect(message("train_impl", "normal")).toBeUndefined();
    expect(message("attention_config", [[["global", "mamba"], 6]])).toBe(
      'attention_config layer type "mamba": Mamba is not supported yet',
    );
    expect(
      message("attention_config", [
        [["global"], 6],
        [["flash"], "all"],
      ]),
    ).toBeUndefined();
    expect(message("optimizer", { type: "OneBitAdam", params: {} })).toBe(
      "optimizer.type: OneBitAdam: 1-bit Adam (DeepSpeed OneBitAdam) is not supported yet",
    );
    for (const ok of ["Adam", "adam", "cpu_adam", "cpu_torch_adam", "sgd", "Lion"]) {
      expect(message("optimizer", { type: ok, params: {} }), ok).toBeUndefined();
    }
    expect(message("zero_optimization", { stage: 3 })).toBe(
      "zero_optimization.stage: 3: ZeRO stage 3 (parameter partitioning) is not supported yet",
    );
    expect(message("zero_optimization", { stage: 2 })).toBeUndefined();
    expect(message("zero_optimization", { stage: 1, cpu_offload: false })).toBeUndefined();
    expect(message("zero_optimization", { stage: 1, offload_optimizer: { device: "cpu" } })).toMatch(
      /ZeRO-Offload/,
    );
    expect(message("zero_stage", 3)).toBe(
      "zero_stage > 2: ZeRO stage 3 (parameter partitioning) is not supported yet",
    );
    expect(message("zero_stage", 2)).toBeUndefined();
    expect(message("zero_stage", 1)).toBeUndefined();
    expect(message("use_comet", true)).toBe("use_comet=true: Comet logging is not supported yet");
    expect(message("curriculum_learning", { enabled: false, curriculum_type: "seqlen" })).toBeUndefined();
    expect(message("curriculum_learning", { enabled: true })).toBe(
      "curriculum_learning.enabled: true: curriculum learning is not supported yet",
    );
    expect(message("s3_path", "s3://bucket/run")).toBeUndefined(); // uploaded by @neox/trainer
  });

  it("file the CUDA fused-kernel switches and DeepSpeed internals as no effect", () => {
    const noEffect = [
      "scaled_upper_triang_masked_softmax_fusion",
      "scaled_masked_softmax_fusion",
      "bias_dropout_fusion",
      "rope_fusion",
      "layernorm_fusion",
      "rmsnorm_fusion",
      "use_flashattn_swiglu",
      "fused_kernels_build_path",
      "partition_activations",
      "synchronize_each_layer",
      "contiguous_checkpointing",
      "checkpoint_in_cpu",
      "deepspeed_activation_checkpointing",
      "profile_backward",
      "wall_clock_breakdown",
      "steps_per_print",
      "dump_state",
      "deepspeed_mpi",
      "use_cpu_initialization",
      "mmap_warmup",
      "num_workers",
      "use_shared_fs",
    ];
    for (const name of noEffect) expect(decl(name).support.status, name).toBe("no_effect");
  });

  it("never file a switch that changes the numbers as no effect", () => {
    const changesNumbers = [
      "bias_gelu_fusion",
      "attention_softmax_in_fp32",
      "apply_query_key_layer_scaling",
      "fp32_allreduce",
      "onnx_safe",
      "fp16_lm_cross_entropy",
      "prescale_gradients",
      "gradient_predivide_factor",
      "data_types",
      "gpt_j_tied",
      "use_qk_layernorm",
      "rms_norm_epsilon",
    ];
    for (const name of changesNumbers) expect(decl(name).support.status, name).not.toBe("no_effect");
    expect(decl("bias_gelu_fusion").support.status).toBe("supported");
    expect(decl("bias_gelu_fusion").doc).toMatch(/tanh/);
  });

  it("support the features this backend is built for", () => {
    const supported = [
      "num_kv_heads",
      "sliding_window_width",
      "gpt_j_residual",
      "no_weight_tying",
      "use_qk_layernorm",
      "rotary_pct",
      "checkpoint_activations",
      "keep_last_n_checkpoints",
      "checkpoint_scale",
      "extra_save_iters",
      "tensorboard_dir",
      "use_wandb",
      "log_dir",
      "pipe_parallel_size",
      "model_parallel_size",
      "fp16",
      "bf16",
      "lr_decay_style",
      "eval_tasks",
    ];
    for (const name of supported) expect(decl(name).support.status, name).toBe("supported");
  });
});
