// Inference with a key/value cache: prefill a prompt, then one token at a time; the logits at every
// position equal the full causal forward's (fp32, 1e-5; logits reach ~2 and differ by < 5e-7 on
// AMD EPYC), for each way positions enter the model.
import { noGrad, scope, Tensor } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { GptNeoXModel } from "../src/index";
import { TINY_GPT3, TINY_LLAMA, TINY_NEOX, tinyConfig, tokens } from "./helpers";

const CASES = [
  ["rotary, parallel residual", TINY_NEOX],
  ["learned positions, sequential, tied", TINY_GPT3],
  ["GQA with a 3-token sliding window", `${TINY_LLAMA}sliding_window_width: 3\n`],
  ["ALiBi, one shared norm", `${TINY_NEOX}pos_emb: alibi\ngpt_j_tied: true\n`],
  ["MQA, no positions", `${TINY_LLAMA}num_kv_heads: 1\npos_emb: none\n`],
  ["sinusoidal positions, sequential", `${TINY_GPT3}pos_emb: sinusoidal\n`],
] as const;

describe("KV-cache decoding equals the full forward", () => {
  for (const [name, yaml] of CASES) {
    it(name, () => {
      const model = GptNeoXModel.fromConfig(tinyConfig(yaml));
      const [B, T, P] = [2, 8, 3]; // P: prompt length prefilled at once
      const V = model.spec.V;
      const x = tokens(B, T, 50);
      try {
        const full = noGrad(() => scope(() => model.forward(x).toFloat32Array())); // (B·T, V)
        const ids = x.toHost() as Int32Array;
        const caches = model.newCaches(B, T);
        const got = new Float32Array(B * T * V);
        for (let t0 = 0; t0 < T; ) {
          const n = t0 === 0 ? P : 1;
          const step = new Int32Array(B * n);
          for (let b = 0; b < B; b++) for (let j = 0; j < n; j++) step[b * n + j] = ids[b * T + t0 + j]!;
          const logits = scope(() => {
            const tok = Tensor.fromArray(step, [B, n], { dtype: "i32" });
            return model.decode(tok, caches).toFloat32Array(); // (B·n, V)
          });
          for (let b = 0; b < B; b++)
            for (let j = 0; j < n; j++)
              got.set(logits.subarray((b * n + j) * V, (b * n + j + 1) * V), (b * T + t0 + j) * V);
          t0 += n;
        }
        expect(caches[0]!.length).toBe(T);
        let worst = 0;
        for (let i = 0; i < full.length; i++) worst = Math.max(worst, Math.abs(full[i]! - got[i]!));
        expect(worst).toBeLessThan(1e-5);
        for (const c of caches) c.dispose();
      } finally {
        x.dispose();
        model.dispose();
      }
    });
  }
});

describe("sliding_window_width", () => {
  it("changes the logits only at positions past the window (p sees keys p - w .. p)", () => {
    const logits = (yaml: string) => {
      const model = GptNeoXModel.fromConfig(tinyConfig(yaml));
      const x = tokens(1, 8, 50);
      try {
        return noGrad(() => scope(() => model.forward(x).toFloat32Array()));
      } finally {
        x.dispose();
        model.dispose();
      }
    };
    const full = logits(TINY_LLAMA);
    const windowed = logits(`${TINY_LLAMA}sliding_window_width: 3\n`);
    const V = 56;
    for (let p = 0; p < 8; p++) {
      const a = full.subarray(p * V, (p + 1) * V);
      const b = windowed.subarray(p * V, (p + 1) * V);
      if (p <= 3) expect(b, `position ${p}`).toEqual(a);
      else expect(b, `position ${p}`).not.toEqual(a);
    }
  });
});
