// Expected values are worked out by hand in the comments from the formula in src/flops.ts:
//   flops/s/GPU = 24·f·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)) / (t·W)
import { describe, expect, it } from "vitest";
import {
  flopsPerIteration,
  hardwareFlopsPerSecPerGpu,
  modelFlopsPerSecPerGpu,
  utilizationPercent,
} from "../src/flops";
import { runtimeMetrics } from "../src/runtime";

// B=2, s=12, l=1, h=2, V=32: s/(6h) = 12/12 = 1, V/(16lh) = 32/32 = 1, so the bracket is 3.
// B·s·l·h² = 2·12·1·4 = 96. f=3: 24·3·96·3 = 20736. f=4: 24·4·96·3 = 27648.
const toy = { train_batch_size: 2, seq_length: 12, num_layers: 1, hidden_size: 2, padded_vocab_size: 32 };

// Pythia-1B-like: B=1024, s=2048, l=16, h=2048, V=50304.
// B·s·l·h² = 2^10·2^11·2^4·2^22 = 2^47 = 140,737,488,355,328.
// s/(6h) = 2048/12288 = 1/6; V/(16lh) = 50304/524288 = 0.095947265625.
// f=3: 72·2^47·(1 + 1/6 + 0.095947265625) = 1.0133099161583616e16 · 1.2626139322916667 = 1.2794194e16.
const pythia1b = {
  train_batch_size: 1024,
  seq_length: 2048,
  num_layers: 16,
  hidden_size: 2048,
  padded_vocab_size: 50304,
};

describe("GPT-NeoX FLOPs formulas", () => {
  it("flops per iteration on a toy shape whose bracket is exactly 3", () => {
    expect(flopsPerIteration(toy, 3)).toBe(20736);
    expect(flopsPerIteration(toy, 4)).toBe(27648);
  });

  it("flops per iteration on a Pythia-1B shape", () => {
    expect(flopsPerIteration(pythia1b, 3)).toBeCloseTo(72 * 2 ** 47 * (1 + 1 / 6 + 50304 / 524288), -3);
    expect(flopsPerIteration(pythia1b, 3) / 1.2794194e16).toBeCloseTo(1, 6);
  });

  it("HFU counts the recomputed forward, MFU never does; both divide by t·W", () => {
    // t = 2 s, W = 4: 20736 / 8 = 2592 (no recompute); with it 27648 / 8 = 3456.
    expect(hardwareFlopsPerSecPerGpu(toy, 2, 4, false)).toBe(2592);
    expect(hardwareFlopsPerSecPerGpu(toy, 2, 4, true)).toBe(3456);
    expect(modelFlopsPerSecPerGpu(toy, 2, 4)).toBe(2592);
  });

  it("utilisation is a percentage of peak TFLOP/s", () => {
    // 156e12 flop/s on a 312 TFLOP/s peak is half: 50%.
    expect(utilizationPercent(156e12, 312)).toBeCloseTo(50, 12);
    // Pythia-1B shape on 64 GPUs at 10 s per iteration: 1.2794194e16 / 640 = 1.99909e13 flop/s/GPU,
    // over A100's 312e12: 6.4073%.
    const mfu = utilizationPercent(modelFlopsPerSecPerGpu(pythia1b, 10, 64), 312);
    expect(mfu).toBeCloseTo(6.4073, 3);
  });

  it("refuses a zero or missing size, naming the key", () => {
    expect(() => flopsPerIteration({ ...toy, hidden_size: 0 }, 3)).toThrow(
      /hidden_size must be a finite number > 0/,
    );
    expect(() => modelFlopsPerSecPerGpu(toy, 0, 1)).toThrow(/iteration seconds/);
    expect(() => utilizationPercent(1, Number.NaN)).toThrow(/peak_theoretical_tflops/);
  });
});

describe("runtimeMetrics", () => {
  it("derives GPT-NeoX's runtime/* values from the iteration time", () => {
    const m = runtimeMetrics({
      ...toy,
      iteration_time: 2,
      world_size: 4,
      checkpoint_activations: true,
      peak_theoretical_tflops: 1e-9, // 1e-9 TFLOP/s = 1000 flop/s, so utilisation = flops/1000·100
    });
    // samples/s = B/t = 2/2 = 1; tokens/s = 1·12; steps/s = 1/2; flops per GPU is HFU = 3456.
    expect(m).toEqual({
      "runtime/samples_per_sec": 1,
      "runtime/iteration_time": 2,
      "runtime/steps_per_sec": 0.5,
      "runtime/tokens_per_sec": 12,
      "runtime/flops_per_sec_per_gpu": 3456,
      "runtime/model_flops_utilization": expect.closeTo(259.2, 9), // 2592 / 1000 · 100
      "runtime/hardware_flops_utilization": expect.closeTo(345.6, 9), // 3456 / 1000 · 100
    });
  });

  it("leaves MFU and HFU out without a peak", () => {
    const m = runtimeMetrics({ ...toy, iteration_time: 1, world_size: 1, checkpoint_activations: false });
    expect(Object.keys(m)).not.toContain("runtime/model_flops_utilization");
    expect(Object.keys(m)).not.toContain("runtime/hardware_flops_utilization");
  });
});
