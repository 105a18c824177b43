import { nativeFunction, setNumThreads } from "@neox/kernels";
import { fill, gemm, Tensor } from "/work/main/packages/tensor/src/index";

setNumThreads(2);
const N = 2048,
  C = 256,
  V = 50304;
const mk = (s: number[]) => fill(Tensor.empty(s), 0.01);
const x = mk([N, C]),
  w = mk([V, C]),
  y = mk([N, V]),
  dw = mk([V, C]),
  dx = mk([N, C]);
const ob = nativeFunction<any>("openblasSgemm");
function time(label: string, fn: () => void, flops: number) {
  fn();
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  console.log(label.padEnd(40), ms.toFixed(0), "ms", (flops / ms / 1e6).toFixed(1), "GFLOP/s");
}
const f = 2 * N * C * V;
time("fwd y = x w^T (N,V,C) nt", () => gemm(false, true, N, V, C, 1, x, C, w, C, 0, y, V), f);
time("dx = dy w (N,C,V) nn", () => gemm(false, false, N, C, V, 1, y, V, w, C, 0, dx, C), f);
time("dw = dy^T x (V,C,N) tn", () => gemm(true, false, V, C, N, 1, y, V, x, C, 1, dw, C), f);
try {
  time("openblas fwd", () => ob(false, true, N, V, C, 1, x.address, C, w.address, C, 0, y.address, V, 2), f);
  time("openblas dx", () => ob(false, false, N, C, V, 1, y.address, V, w.address, C, 0, dx.address, C, 2), f);
  time("openblas dw", () => ob(true, false, V, C, N, 1, y.address, V, x.address, C, 1, dw.address, C, 2), f);
} catch (e) {
  console.log(String(e));
}
