// Presets and architecture builders: every shipped config listed in a presets table loads and is
// buildable (its spec resolves, it passes its architecture's requirements), and the models built
// from small ones carry exactly the parameters the report's independent table
// (src/report/params.ts, written from the config alone) lists, in the same order.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ResolvedConfig } from "@neox/config";
import { describe, expect, it } from "vitest";
import {
  buildLlama,
  buildMistral,
  checkArchitecture,
  GPT_NEOX_PRESETS,
  GptNeoXModel,
  LLAMA_PRESETS,
  LLAMA_REQUIREMENTS,
  loadPreset,
  MISTRAL_PRESETS,
  MISTRAL_REQUIREMENTS,
  ModelConfigError,
  modelSpec,
  type Preset,
} from "../src/index";
import { parameterTable } from "../src/report/index";
import { TINY_GPT3, TINY_LLAMA, TINY_NEOX, tinyConfig } from "./helpers";

const CONFIGS = resolve(dirname(fileURLToPath(import.meta.url)), "../../../configs");
const load = (p: Preset) => loadPreset(p, CONFIGS, ["local_setup.yml"]);

const names = (m: GptNeoXModel) => [...m.registry.entries()].map((e) => `${e.name} [${e.shape.join(", ")}]`);
const reportNames = (r: ResolvedConfig) => parameterTable(r).map((p) => `${p.name} [${p.shape.join(", ")}]`);

describe("presets", () => {
  for (const [table, presets, req] of [
    ["GPT-NeoX", GPT_NEOX_PRESETS, null],
    ["Llama", LLAMA_PRESETS, LLAMA_REQUIREMENTS],
    ["Mistral", MISTRAL_PRESETS, MISTRAL_REQUIREMENTS],
  ] as const) {
    it(`${table}: every preset loads, resolves to a model spec and meets its architecture`, () => {
      for (const [name, preset] of Object.entries(presets)) {
        const r = load(preset);
        const spec = modelSpec(r);
        expect(spec.V, name).toBeGreaterThanOrEqual(preset.vocabSize);
        if (req) checkArchitecture(table, r, req);
        if (table === "Mistral") checkArchitecture("Llama", r, LLAMA_REQUIREMENTS);
      }
    });
  }

  it("Pythia-14M builds with the report's parameters, in GPT-NeoX's order", () => {
    const r = load(GPT_NEOX_PRESETS["pythia-14m"]);
    const model = GptNeoXModel.fromConfig(r);
    try {
      expect(names(model)).toEqual(reportNames(r));
      expect(model.spec).toMatchObject({ L: 6, C: 128, NH: 4, V: 50304, rotDim: 8, activation: "gelu_tanh" });
    } finally {
      model.dispose();
    }
  });

  it("the tiny Llama and Mistral presets build through their architectures", () => {
    for (const [build, preset] of [
      [buildLlama, LLAMA_PRESETS.tiny],
      [buildMistral, MISTRAL_PRESETS.tiny],
    ] as const) {
      const r = load(preset);
      const model = build(r);
      try {
        expect(names(model)).toEqual(reportNames(r));
      } finally {
        model.dispose();
      }
    }
    expect(modelSpec(load(MISTRAL_PRESETS.tiny))).toMatchObject({ NKV: 2, window: 64 });
  });

  it("an architecture builder refuses a config of another, naming the key", () => {
    const pythia = load(GPT_NEOX_PRESETS.tiny);
    expect(() => buildLlama(pythia)).toThrow(ModelConfigError);
    expect(() => buildLlama(pythia)).toThrow(/norm = "layernorm" .*Llama needs norm: "rmsnorm"/);
    expect(() => buildMistral(load(LLAMA_PRESETS.tiny))).toThrow(/sliding_window_width = null/);
  });
});

describe("the models' parameters agree with the report's table", () => {
  for (const [name, yaml] of [
    ["Pythia-shaped", TINY_NEOX],
    ["GPT-3 shaped", TINY_GPT3],
    ["Llama-shaped GQA", TINY_LLAMA],
    ["tied norm, ALiBi, GeGLU", `${TINY_NEOX}gpt_j_tied: true\npos_emb: alibi\nactivation: geglu\n`],
    ["non-parametric LayerNorm", `${TINY_NEOX}norm: non_parametric_layernorm\n`],
  ] as const) {
    it(name, () => {
      const r = tinyConfig(yaml);
      const model = GptNeoXModel.fromConfig(r);
      try {
        expect(names(model)).toEqual(reportNames(r));
      } finally {
        model.dispose();
      }
    });
  }
});
