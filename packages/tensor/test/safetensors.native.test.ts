// safetensors into and out of native tensors: each supported dtype read into a Tensor holds the
// stored elements, and writing Tensors (including a non-contiguous view) stores their values.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DTYPES, SafetensorsFile, scope, Tensor, writeSafetensors } from "../src/index";

const dir = mkdtempSync(join(tmpdir(), "safetensors-native-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("safetensors with native tensors", () => {
  it("round-trips a Tensor of every dtype, and a transposed view as its logical values", () => {
    scope(() => {
      const path = join(dir, "tensors.safetensors");
      const src: Record<string, Tensor> = {};
      for (const dtype of DTYPES) src[dtype] = Tensor.fromArray([1, 2, 3, 4, 5, 250], [2, 3], { dtype });
      const base = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
      src.transposed = base.transpose(0, 1); // [[1,4],[2,5],[3,6]]
      const written = writeSafetensors(path, src);
      // size and SHA-256 as returned equal the file's own
      const onDisk = readFileSync(path);
      expect(written.bytes).toBe(onDisk.length);
      expect(written.sha256).toBe(createHash("sha256").update(onDisk).digest("hex"));
      const f = SafetensorsFile.open(path);
      try {
        for (const dtype of DTYPES) {
          const t = f.readTensor(dtype);
          expect(t.dtype).toBe(dtype);
          expect(t.shape).toEqual([2, 3]);
          expect(Array.from(t.toFloat32Array())).toEqual([1, 2, 3, 4, 5, 250]);
        }
        const t = f.readTensor("transposed");
        expect(t.shape).toEqual([3, 2]);
        expect(Array.from(t.toFloat32Array())).toEqual([1, 4, 2, 5, 3, 6]);
      } finally {
        f.close();
      }
    });
  });

  it("loads into an existing tensor only when dtype and shape agree", () => {
    scope(() => {
      const path = join(dir, "into.safetensors");
      writeSafetensors(path, { w: Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3], { dtype: "bf16" }) });
      const f = SafetensorsFile.open(path);
      try {
        const target = Tensor.empty([2, 3], { dtype: "bf16" });
        f.readInto("w", target);
        expect(Array.from(target.toFloat32Array())).toEqual([1, 2, 3, 4, 5, 6]);
        expect(() => f.readInto("w", Tensor.empty([3, 2], { dtype: "bf16" }))).toThrow(
          `${path}: tensor "w" is BF16 [2, 3], the target is BF16 [3, 2]`,
        );
        expect(() => f.readInto("w", Tensor.empty([2, 3]))).toThrow(
          `tensor "w" is BF16 [2, 3], the target is F32 [2, 3]`,
        );
      } finally {
        f.close();
      }
    });
  });

  it("refuses to make a Tensor of a dtype tensors do not have", () => {
    const path = join(dir, "f64.safetensors");
    writeSafetensors(path, { d: { dtype: "F64", shape: [1], data: Float64Array.from([1]) } });
    const f = SafetensorsFile.open(path);
    expect(() => f.readTensor("d")).toThrow(`${path}: tensor "d" is F64, which has no tensor dtype here`);
    f.close();
  });
});
