// OrtEngine (an ONNX Runtime session behind the Engine interface) against InferenceEngine on the
// same weights: logits of prefills and cached decode steps within 1e-4, greedy generation token
// for token (with and without the KV-cache graph, two slots sharing passes, past the sliding
// window), truncation, scoring; and the fp16 export within its looser tolerance.
import { join } from "node:path";
import { type Engine, type GptNeoXModel, InferenceEngine } from "@neox/models";
import { afterAll, describe, expect, it } from "vitest";
import { exportOnnxModel } from "../src/onnx/export";
import { OrtEngine } from "../src/onnx/ort-engine";
import { maxAbsDiff, nativeLogits, removeTempDirs, tempDir, tinyModel, tokenIds } from "./onnx-fixtures";

afterAll(removeTempDirs);

const dir = tempDir();
const TOL = 1e-4;
/**
 * fp16 export: weights and activations rounded to 11 significant bits (2^-11 ≈ 4.9e-4 relative a
 * rounding), compounded over two layers; these models' logits came within 1.1e-3 of fp32's
 * (AMD EPYC Zen 4, ONNX Runtime 1.22.0 CPU), so 1e-2 leaves room without hiding a wrong graph
 * (a wrong mask or rotary moves them by more than 2e-2, as the fp32 tests' failures show).
 */
const FP16_TOL = 1e-2;

/** Greedy continuation of two prompts sharing every pass; returns each slot's new tokens. */
function greedy(engine: Engine, prompts: number[][], steps: number): number[][] {
  const out = prompts.map(() => [] as number[]);
  // slot 0 prefills first; slot 1 prefills while slot 0 takes its first decode step
  let next = [engine.forward([{ slot: 0, tokens: prompts[0]! }]).argmax[0]!];
  const both = engine.forward([
    { slot: 0, tokens: [next[0]!] },
    { slot: 1, tokens: prompts[1]! },
  ]);
  out[0]!.push(next[0]!);
  next = [both.argmax[0]!, both.argmax[1]!];
  for (let s = 0; s < steps; s++) {
    out[0]!.push(next[0]!);
    out[1]!.push(next[1]!);
    const r = engine.forward(
      [
        { slot: 0, tokens: [next[0]!] },
        { slot: 1, tokens: [next[1]!] },
      ],
      { logits: false },
    );
    next = [r.argmax[0]!, r.argmax[1]!];
  }
  return out;
}

describe.each(["pythia", "gpt3", "llama", "mistral"])("OrtEngine %s", (arch) => {
  const model: GptNeoXModel = tinyModel(arch);
  const maxT = 24;
  const prompts = [tokenIds(5, 1), tokenIds(3, 2)];
  const files = {
    kv: join(dir, `${arch}-kv.onnx`),
    full: join(dir, `${arch}.onnx`),
    half: join(dir, `${arch}-kv-fp16.onnx`),
  };
  exportOnnxModel(model, files.kv, { kvCache: true });
  exportOnnxModel(model, files.full);
  exportOnnxModel(model, files.half, { kvCache: true, precision: "fp16" });
  const native = new InferenceEngine(model, { slots: 2, maxT });
  const expected = greedy(native, prompts, 14);
  afterAll(() => {
    native.dispose();
    model.dispose();
  });

  for (const kind of ["kv", "full"] as const) {
    it(`greedy generation (${kind === "kv" ? "KV-cache graph" : "no cache"}) equals ours token for token`, () => {
      const ort = OrtEngine.open(files[kind], { slots: 2, maxT });
      expect(ort.layers).toBe(kind === "kv" ? model.spec.L : 0);
      expect(greedy(ort, prompts, 14)).toEqual(expected);
      // a truncated slot continues as if the tail had never been fed
      ort.truncate(0, prompts[0]!.length);
      expect(ort.length(0)).toBe(prompts[0]!.length);
      const again = ort.forward([{ slot: 0, tokens: [expected[0]![0]!] }]).argmax[0];
      expect(again).toBe(expected[0]![1]);
      ort.dispose();
    });

    it(`prefill and cached steps (${kind}) give the model's logits within 1e-4; scores match`, () => {
      const seq = tokenIds(13, 5);
      const want = nativeLogits(model, [seq]);
      const ort = OrtEngine.open(files[kind], { slots: 1, maxT });
      const pre = ort.forward([{ slot: 0, tokens: seq.slice(0, 6), logitsFrom: 0 }]);
      expect(pre.rows).toBe(6);
      expect(maxAbsDiff(pre.logits, want.subarray(0, 6 * model.spec.V))).toBeLessThan(TOL);
      for (let p = 6; p < 13; p++) {
        const step = ort.forward([{ slot: 0, tokens: [seq[p]!] }]);
        expect(maxAbsDiff(step.logits, want.subarray(p * model.spec.V, (p + 1) * model.spec.V))).toBeLessThan(
          TOL,
        );
      }
      ort.reset(0);
      const ours = new InferenceEngine(model, { slots: 1, maxT });
      const seg = [{ slot: 0, tokens: seq.slice(0, 12), logitsFrom: 0, targets: seq.slice(1, 13) }];
      const a = ours.score(seg, { greedy: true });
      const b = ort.score(seg, { greedy: true });
      expect(maxAbsDiff(a.logprobs, b.logprobs)).toBeLessThan(TOL);
      expect(Array.from(b.greedy)).toEqual(Array.from(a.greedy));
      ours.dispose();
      ort.dispose();
    });
  }

  it(`fp16 KV-cache export runs and its logits are within ${FP16_TOL} of the fp32 model's`, () => {
    const seq = tokenIds(13, 5);
    const want = nativeLogits(model, [seq]);
    const ort = OrtEngine.open(files.half, { slots: 1, maxT });
    const pre = ort.forward([{ slot: 0, tokens: seq.slice(0, 6), logitsFrom: 0 }]);
    let worst = maxAbsDiff(pre.logits, want.subarray(0, 6 * model.spec.V));
    for (let p = 6; p < 13; p++) {
      const step = ort.forward([{ slot: 0, tokens: [seq[p]!] }]);
      worst = Math.max(
        worst,
        maxAbsDiff(step.logits, want.subarray(p * model.spec.V, (p + 1) * model.spec.V)),
      );
    }
    expect(worst).toBeLessThan(FP16_TOL);
    expect(worst).toBeGreaterThan(0); // it really ran in half precision
    ort.dispose();
  });

  it("refuses a pass past maxT, a token outside the vocabulary, and caches nothing from it", () => {
    const ort = OrtEngine.open(files.kv, { slots: 1, maxT: 6 });
    ort.forward([{ slot: 0, tokens: [1, 2, 3] }]);
    expect(() => ort.forward([{ slot: 0, tokens: [1, 2, 3, 4] }])).toThrow(/exceed the 6-token context/);
    expect(() => ort.forward([{ slot: 0, tokens: [model.spec.V] }])).toThrow(/outside the vocabulary/);
    expect(ort.length(0)).toBe(3);
    ort.dispose();
  });
});
