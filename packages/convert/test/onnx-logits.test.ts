// ONNX Runtime's logits for an exported graph equal the model's own, for each architecture, with
// and without the optional attention_mask / position_ids inputs, and under left padding.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exportOnnxModel } from "../src/onnx/export";
import { OrtSession, OrtTensor } from "../src/onnx/ort-session";
import {
  ARCHS,
  maxAbsDiff,
  nativeLogits,
  removeTempDirs,
  tempDir,
  tinyModel,
  tokenIds,
} from "./onnx-fixtures";

afterAll(removeTempDirs);

const dir = tempDir();
const TOL = 1e-4;
const i64 = (rows: number[][]) =>
  new OrtTensor("int64", BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]!.length]);

describe.each(Object.keys(ARCHS))("onnx export %s (fp32)", (arch) => {
  const model = tinyModel(arch);
  const V = model.spec.V;
  const rows = [tokenIds(11, 1), tokenIds(11, 2)];
  const expected = nativeLogits(model, rows);
  afterAll(() => model.dispose());

  it("with attention_mask and position_ids, logits equal the model's within 1e-4", () => {
    const file = join(dir, `${arch}.onnx`);
    const res = exportOnnxModel(model, file);
    expect(res.inputs).toEqual(["input_ids", "attention_mask", "position_ids"]);
    expect(res.outputs).toEqual(["logits"]);
    const s = new OrtSession(file);
    const out = s.run({
      input_ids: i64(rows),
      attention_mask: i64(rows.map((r) => r.map(() => 1))),
      position_ids: i64(rows.map((r) => r.map((_, j) => j))),
    });
    expect(out.logits!.dims).toEqual([2, 11, V]);
    expect(maxAbsDiff(out.logits!.data as Float32Array, expected)).toBeLessThan(TOL);
    s.dispose();
  });

  it("without the optional inputs, logits equal the model's within 1e-4", () => {
    const file = join(dir, `${arch}-bare.onnx`);
    const res = exportOnnxModel(model, file, { attentionMask: false, positionIds: false });
    expect(res.inputs).toEqual(["input_ids"]);
    const s = new OrtSession(file);
    const out = s.run({ input_ids: i64(rows) });
    expect(maxAbsDiff(out.logits!.data as Float32Array, expected)).toBeLessThan(TOL);
    s.dispose();
  });

  it("left padding masked by attention_mask, positions shifted: the real tokens' logits are unchanged", () => {
    const file = join(dir, `${arch}.onnx`);
    const s = new OrtSession(file);
    const pad = 3;
    const short = tokenIds(8, 4);
    const alone = nativeLogits(model, [short]);
    const padded = [[...Array(pad).fill(0), ...short], tokenIds(11, 2)];
    const out = s.run({
      input_ids: i64(padded),
      attention_mask: i64([[...Array(pad).fill(0), ...short.map(() => 1)], padded[1]!.map(() => 1)]),
      position_ids: i64([[...Array(pad).fill(0), ...short.map((_, j) => j)], padded[1]!.map((_, j) => j)]),
    });
    const got = (out.logits!.data as Float32Array).subarray(pad * V, 11 * V);
    expect(maxAbsDiff(got, alone)).toBeLessThan(TOL);
    // the unpadded row beside it is untouched by the other row's mask
    const row1 = (out.logits!.data as Float32Array).subarray(11 * V, 22 * V);
    expect(maxAbsDiff(row1, expected.subarray(11 * V))).toBeLessThan(TOL);
    s.dispose();
  });
});
