// The model against PyTorch: tools/fixtures/models/golden.py runs GPT-NeoX's forward in float64
// from float32 weights for each architecture variant and stores weights (GPT-NeoX's
// sequential.<idx> keys), inputs, labels, logits, loss and every gradient. Here the same config is
// resolved with @neox/config, the model built from it, the weights loaded through the checkpoint
// name map, and loss, logits and gradients compared. Tolerances are fp32's: the model computes in
// float32, the fixture in float64 (measured differences are in the comments at each check).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfigText, resolveParsed, withVocabSize } from "@neox/config";
import { backward, bf16ToFloat, SafetensorsFile, scope, Tensor } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { GptNeoXModel, toSequentialName } from "../src/index";

const GOLDEN = join(import.meta.dirname, "fixtures", "golden");
// fp32 cases at the top, bf16-weight cases (<case>_bf16) in bf16/ when present.
const CASES = [GOLDEN, join(GOLDEN, "bf16")]
  .filter((dir) => existsSync(dir))
  .flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => ({ name: f.slice(0, -".json".length), dir })),
  )
  .sort((a, b) => a.name.localeCompare(b.name));

const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const i32 = (a: BigInt64Array, shape: number[]) =>
  Tensor.fromArray(
    Int32Array.from(a, (x) => Number(x)),
    shape,
    { dtype: "i32" },
  );

// Measured on AMD EPYC (fp32): loss within 7e-8 relative, logits within 7e-7 of the largest
// logit, each gradient within 1.2e-6 of its tensor's largest. bf16 GEMMs (8-bit mantissa, 2^-8 =
// 3.9e-3 per rounding): loss 9e-5, logits 5.8e-3, gradients 1.2e-2. Limits leave ~4-10x headroom.
const F32_TOL = { loss: 1e-6, logits: 5e-6, grads: 1e-5 };
const BF16_TOL = { loss: 1e-3, logits: 3e-2, grads: 5e-2 };

describe("the model matches PyTorch golden fixtures", () => {
  it("has fixtures to check", () => expect(CASES.length).toBeGreaterThan(0));

  for (const { name, dir } of CASES) {
    it(name, () => {
      const desc = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
      // JSON is YAML: the fixture's config goes through the same loader as a user's file.
      const r = withVocabSize(
        resolveParsed([parseConfigText(JSON.stringify(desc.config), `${name}.json`)], {}),
        desc.vocab_size,
      );
      expect(r.problems).toEqual([]);
      // <case>_bf16: the weights are bf16 values; the model keeps them as fp32 masters and runs its
      // GEMMs on a bf16 working copy, against float64 expectations from the same values.
      const bf16 = desc.weights_dtype === "bf16";
      const model = GptNeoXModel.fromConfig(r, { lowp: bf16 });
      const f = SafetensorsFile.open(join(dir, `${name}.safetensors`));
      const L = model.spec.L;
      try {
        // Every parameter the model names is in the file under GPT-NeoX's key, and nothing else is.
        const keys = [...model.registry.entries()].map((e) => toSequentialName(e.name, L));
        expect(new Set(keys)).toEqual(new Set(desc.params.map((p: { name: string }) => p.name)));
        const data = new Float32Array(model.registry.numel);
        for (const e of model.registry.entries()) {
          const raw = f.readArray(toSequentialName(e.name, L));
          data.set(
            bf16 ? Float32Array.from(raw as Uint16Array, bf16ToFloat) : (raw as Float32Array),
            e.offset,
          );
        }
        model.registry.flat.data.write(data);
        model.registry.flat.refreshLowp();

        const [B, T] = f.entry("inputs").shape as [number, number];
        const x = i32(f.readArray("inputs") as BigInt64Array, [B, T]);
        const y = i32(f.readArray("labels") as BigInt64Array, [B, T]);
        const { loss, logits } = scope(() => {
          model.registry.flat.zeroGrad();
          const logits = model.forward(x);
          const loss = model.loss(x, y);
          backward(loss);
          return { loss: loss.item(), logits: logits.toFloat32Array() };
        });
        x.dispose();
        y.dispose();

        const tol = bf16 ? BF16_TOL : F32_TOL;
        expect(Math.abs(loss - desc.loss)).toBeLessThan(tol.loss * desc.loss);
        const wantLogits = f.readArray("logits") as Float32Array;
        expect(maxDiff(logits, wantLogits)).toBeLessThan(tol.logits * Math.max(1, maxAbs(wantLogits)));
        const grads = model.registry.flat.grads.toFloat32Array();
        for (const e of model.registry.entries()) {
          const want = f.readArray(`grad.${toSequentialName(e.name, L)}`) as Float32Array;
          const got = grads.subarray(e.offset, e.offset + e.numel);
          // Each relative to the tensor's largest gradient.
          expect(maxDiff(got, want), e.name).toBeLessThanOrEqual(tol.grads * maxAbs(want) + 1e-7);
        }
      } finally {
        f.close();
        model.dispose();
      }
    });
  }
});
