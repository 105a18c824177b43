// GEMM parity cases, run by test/gemm.native.test.ts under every ISA against the float64
// reference (src/reference/gemm.ts). One line per case; the sweep below adds every transpose pair
// for the odd shapes. To add a case, append a line: pad* add that many elements to the leading
// dimension (strided rows), batch > 1 exercises the strided-batched op.
import type { ParityCase } from "../helpers/parity";

export interface GemmCase extends ParityCase {
  op:
    | "sgemm"
    | "gemmBf16"
    | "gemmF16"
    | "sgemmStridedBatched"
    | "gemmBf16StridedBatched"
    | "gemmF16StridedBatched";
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  padA?: number;
  padB?: number;
  padC?: number;
  batch?: number;
  /** Fill C with NaN first (beta = 0 must not read it). */
  nanC?: boolean;
}

// Accumulation in fp32 of products of inputs in [-1, 1): error grows about like K * 2^-24.
const tolFor = (K: number) => ({ atol: 2e-6 * Math.max(K, 8), rtol: 1e-5 });

function c(
  op: GemmCase["op"],
  trans: "NN" | "TN" | "NT" | "TT",
  M: number,
  N: number,
  K: number,
  extra: Partial<GemmCase> = {},
): GemmCase {
  const transA = trans[0] === "T";
  const transB = trans[1] === "T";
  const alpha = extra.alpha ?? 1;
  const beta = extra.beta ?? 0;
  const bits = [
    `${trans} M=${M} N=${N} K=${K}`,
    alpha !== 1 ? `alpha=${alpha}` : "",
    beta !== 0 ? `beta=${beta}` : "",
  ];
  for (const k of ["padA", "padB", "padC", "batch"] as const) if (extra[k]) bits.push(`${k}=${extra[k]}`);
  if (extra.nanC) bits.push("NaN C");
  return {
    op,
    name: bits.filter(Boolean).join(" "),
    transA,
    transB,
    M,
    N,
    K,
    alpha,
    beta,
    tol: tolFor(K),
    ...extra,
  };
}

export const gemmCases: GemmCase[] = [
  c("sgemm", "NN", 1, 1, 1),
  c("sgemm", "NN", 3, 17, 129, { alpha: 0.5, beta: 2 }),
  c("sgemm", "TN", 129, 3, 17, { padA: 5, padC: 3 }),
  c("sgemm", "NT", 17, 129, 3, { padB: 7, beta: -1 }),
  c("sgemm", "TT", 129, 129, 129, { padA: 1, padB: 2, padC: 3, alpha: -1.5, beta: 0.25 }),
  c("sgemm", "NN", 25, 65, 300, { nanC: true }),
  c("sgemm", "NT", 150, 70, 530, { alpha: 2, beta: 1 }),
  c("sgemm", "NN", 5, 7, 0, { beta: 3 }), // K = 0: C = beta * C
  c("sgemm", "NN", 4, 4, 8, { alpha: 0, beta: 0.5 }), // alpha = 0: C = beta * C
  c("sgemm", "NN", 0, 9, 9),
  c("gemmBf16", "NN", 1, 1, 1),
  c("gemmBf16", "NN", 3, 17, 129, { alpha: 0.5, beta: 2 }),
  c("gemmBf16", "TN", 129, 3, 17, { padA: 5, padC: 3 }),
  c("gemmBf16", "NT", 17, 129, 3, { padB: 7, beta: -1 }),
  c("gemmBf16", "TT", 129, 129, 129, { padA: 1, padB: 2, padC: 3, alpha: -1.5, beta: 0.25 }),
  c("gemmBf16", "NN", 25, 65, 301, { nanC: true }),
  c("gemmBf16", "NT", 150, 70, 1031, { alpha: 2, beta: 1 }), // K odd and past one 512-deep block
  // M <= 8: the unpacked path under AVX-512 (generation), both layouts, tails in N and K; 4 columns
  // per pass up to 4 rows, 2 beyond; B transposed read as 4 streams per thread (rows left over
  // past 4·(N/4) one at a time), prefetching from M = 4; bf16 on vdpbf16ps where the path is dot.
  c("gemmBf16", "NT", 8, 1031, 70, { padB: 1, beta: 0.5 }),
  c("sgemm", "NT", 4, 2051, 96, { padA: 3 }),
  c("sgemm", "NT", 1, 1000, 333, { beta: 0.5, padB: 3 }),
  c("sgemm", "NT", 8, 515, 130, { beta: 1, padA: 2 }),
  c("sgemm", "NN", 6, 201, 77, { padB: 1, alpha: -1 }),
  c("sgemm", "TN", 5, 67, 33, { nanC: true }),
  c("gemmBf16", "NT", 7, 131, 260, { padB: 2 }),
  c("sgemm", "NN", 4, 200, 77, { padB: 3, alpha: 2 }),
  c("sgemm", "TN", 2, 129, 1030, { padA: 1, nanC: true }),
  c("sgemm", "TT", 3, 67, 45, { beta: -1 }),
  c("gemmBf16", "NT", 1, 515, 260, { padB: 2 }),
  c("gemmBf16", "NN", 3, 130, 64, { beta: 1 }),
  c("sgemmStridedBatched", "NN", 3, 17, 129, { batch: 3, beta: 1 }),
  c("sgemmStridedBatched", "TT", 17, 3, 33, { batch: 5, padA: 2, padB: 1, padC: 4 }),
  c("sgemmStridedBatched", "NT", 64, 64, 64, { batch: 1 }),
  c("gemmBf16StridedBatched", "NN", 3, 17, 129, { batch: 3, beta: 1 }),
  c("gemmBf16StridedBatched", "TN", 33, 17, 65, { batch: 4, padA: 3 }),
  // fp16: widened while packing (vcvtph2ps on the k-contiguous AVX-512 paths, portable loops else).
  c("gemmF16", "NN", 1, 1, 1),
  c("gemmF16", "NN", 3, 17, 129, { alpha: 0.5, beta: 2 }),
  c("gemmF16", "TT", 129, 129, 129, { padA: 1, padB: 2, padC: 3, alpha: -1.5, beta: 0.25 }),
  c("gemmF16", "NN", 25, 65, 301, { nanC: true }),
  c("gemmF16", "NT", 150, 70, 1031, { alpha: 2, beta: 1 }),
  c("gemmF16", "NT", 1, 515, 260, { padB: 2 }),
  c("gemmF16", "NN", 3, 130, 64, { beta: 1 }),
  c("gemmF16StridedBatched", "NN", 3, 17, 129, { batch: 3, beta: 1 }),
  c("gemmF16StridedBatched", "TN", 33, 17, 65, { batch: 4, padA: 3 }),
];

// Every transpose pair over the odd sizes, for every dtype.
const ODD: [number, number, number][] = [
  [1, 3, 17],
  [17, 1, 3],
  [3, 129, 1],
  [129, 17, 3],
  [17, 129, 129],
  [13, 33, 257],
];
for (const op of ["sgemm", "gemmBf16", "gemmF16"] as const) {
  for (const trans of ["NN", "TN", "NT", "TT"] as const) {
    for (const [M, N, K] of ODD) gemmCases.push(c(op, trans, M, N, K, { padA: 1, padC: 2 }));
  }
}
