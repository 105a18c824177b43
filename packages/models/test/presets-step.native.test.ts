// Every shipped preset small enough for a CPU test (under 100M parameters, counted by the report
// without allocating) builds through its architecture and runs one forward and backward step: the
// loss is finite and near ln(V) at initialisation, and every parameter the loss reaches gets a
// finite, non-zero gradient.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ResolvedConfig } from "@neox/config";
import { backward, scope } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import {
  buildLlama,
  buildMistral,
  GPT_NEOX_PRESETS,
  GptNeoXModel,
  LLAMA_PRESETS,
  loadPreset,
  MISTRAL_PRESETS,
  type Preset,
} from "../src/index";
import { countParameters, parameterTable } from "../src/report/index";
import { tokens } from "./helpers";

const CONFIGS = resolve(dirname(fileURLToPath(import.meta.url)), "../../../configs");
const MAX_PARAMETERS = 100_000_000;

type Build = (r: ResolvedConfig) => GptNeoXModel;
const ARCHITECTURES: [string, Record<string, Preset>, Build][] = [
  ["GPT-NeoX", GPT_NEOX_PRESETS, (r) => GptNeoXModel.fromConfig(r)],
  ["Llama", LLAMA_PRESETS, buildLlama],
  ["Mistral", MISTRAL_PRESETS, buildMistral],
];
const cases = ARCHITECTURES.flatMap(([arch, presets, build]) =>
  Object.entries(presets).map(([name, preset]) => {
    const r = loadPreset(preset, CONFIGS, ["local_setup.yml"]);
    const total = countParameters(parameterTable(r), r.values.num_layers as number).total;
    return { label: `${arch} ${name}`, r, total, build };
  }),
);
const small = cases.filter((c) => c.total < MAX_PARAMETERS);

describe("one training step on every preset a CPU test can hold", () => {
  it("covers the small Pythia presets and the tiny presets of each architecture", () => {
    const labels = small.map((c) => c.label);
    expect(labels).toEqual(expect.arrayContaining(["GPT-NeoX pythia-14m", "GPT-NeoX pythia-70m"]));
    expect(labels).toEqual(expect.arrayContaining(["GPT-NeoX tiny", "Llama tiny", "Mistral tiny"]));
  });

  it.each(small.map((c) => [c.label, c] as const))("%s", (_label, c) => {
    const model = c.build(c.r);
    const V = model.spec.V;
    const [x, y] = [tokens(2, 16, Math.min(V, 50000)), tokens(2, 16, Math.min(V, 50000), 1)];
    const flat = model.registry.flat;
    try {
      const loss = scope(() => {
        flat.zeroGrad();
        const l = model.loss(x, y);
        backward(l);
        return l.item();
      });
      // At initialisation the logits are small, so the loss is close to that of a uniform guess.
      expect(Number.isFinite(loss)).toBe(true);
      expect(Math.abs(loss - Math.log(V))).toBeLessThan(1.5);
      const grads = flat.grads.toFloat32Array();
      for (const e of model.registry.entries()) {
        const { offset, numel } = flat.ranges.get(e.name)!;
        const g = grads.subarray(offset, offset + numel);
        let sq = 0;
        for (const v of g) sq += v * v;
        expect(Number.isFinite(sq), `${e.name}: finite gradient`).toBe(true);
        // the unused post_attention_layernorm of gpt_j_tied blocks is the only parameter without one
        if (!e.name.includes("post_attention_layernorm") || !c.r.values.gpt_j_tied)
          expect(sq, `${e.name}: non-zero gradient`).toBeGreaterThan(0);
      }
    } finally {
      for (const t of [x, y, model]) t.dispose();
    }
  });
});
