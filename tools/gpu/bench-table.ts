// The tables `pnpm bench:gpu` prints from its report: GEMM TFLOP/s beside torch.matmul's, and
// training tokens/s and MFU beside PyTorch's, with the ratios and whether each goal is met.
// MFU = tokens/s × GPT-NeoX's model FLOPs per token (f = 3, attention included, no recomputation)
// / the device's peak; PyTorch's MFU uses the same FLOPs per token, so the two MFUs compare.

interface GemmRow {
  name: string;
  M: number;
  N: number;
  K: number;
  bf16: number | string;
  fp32: number | string;
}

interface TrainRow {
  name: string;
  micro: number;
  flops_per_token: number;
  tokens_per_sec?: number;
  error?: string;
}

interface TorchReport {
  gemm?: GemmRow[];
  train?: { name: string; tokens_per_sec?: number; error?: string }[];
  skipped?: string;
  error?: string;
}

export interface SummaryRow {
  kind: "gemm" | "train";
  name: string;
  dtype: string;
  ours: number | null;
  torch: number | null;
  /** ours / torch (throughput), null when either is missing. */
  ratio: number | null;
  mfu?: number | null;
  torch_mfu?: number | null;
  /** Goals met (null: not measurable); only for training rows. */
  goal_mfu?: boolean | null;
  goal_ratio?: boolean | null;
}

const num = (x: unknown): number | null => (typeof x === "number" && Number.isFinite(x) ? x : null);
const fmt = (x: number | null, digits = 1) => (x === null ? "-" : x.toFixed(digits));
/** Three significant digits: TFLOP/s from 0.05 (a CPU) to 800 (an H100). */
const sig = (x: number | null) => (x === null ? "-" : x.toPrecision(3));
const pct = (x: number | null | undefined) => (x == null ? "-" : `${(100 * x).toFixed(1)}%`);
const ratioOf = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
const yes = (x: boolean | null | undefined) => (x == null ? "-" : x ? "met" : "NOT met");

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "))
    .join("\n");
}

export function formatTables(
  report: Record<string, unknown>,
  goals: { goalMfu: number; goalRatio: number },
): { text: string; rows: SummaryRow[] } {
  const peak = num(report.peak_tflops);
  const torch = (report.torch ?? {}) as TorchReport;
  const rows: SummaryRow[] = [];
  const lines: string[] = [];
  const gemm = Array.isArray(report.gemm) ? (report.gemm as GemmRow[]) : [];

  const gemmCells = [["GEMM (M×N×K)", "dtype", "ours TFLOP/s", "torch TFLOP/s", "ours/torch"]];
  for (const g of gemm) {
    const t = torch.gemm?.find((x) => x.name === g.name);
    for (const dtype of ["bf16", "fp32"] as const) {
      const ours = num(g[dtype]);
      const theirs = num(t?.[dtype]);
      const ratio = ratioOf(ours, theirs);
      rows.push({ kind: "gemm", name: g.name, dtype, ours, torch: theirs, ratio });
      const failure = typeof g[dtype] === "string" ? ` (${g[dtype]})` : "";
      gemmCells.push([
        `${g.name} ${g.M}×${g.N}×${g.K}`,
        dtype,
        sig(ours) + failure,
        sig(theirs),
        fmt(ratio, 2),
      ]);
    }
  }
  lines.push(pad(gemmCells));

  const train = Array.isArray(report.train) ? (report.train as TrainRow[]) : [];
  const trainCells = [
    [
      "training (bf16)",
      "micro",
      "ours tok/s",
      "MFU",
      "torch tok/s",
      "torch MFU",
      "ours/torch",
      "MFU goal",
      "ratio goal",
    ],
  ];
  for (const r of train) {
    const t = torch.train?.find((x) => x.name === r.name);
    const ours = num(r.tokens_per_sec);
    const theirs = num(t?.tokens_per_sec);
    const mfuOf = (tps: number | null) =>
      tps !== null && peak ? (tps * r.flops_per_token) / (peak * 1e12) : null;
    const ratio = ratioOf(ours, theirs);
    const row: SummaryRow = {
      kind: "train",
      name: r.name,
      dtype: "bf16",
      ours,
      torch: theirs,
      ratio,
      mfu: mfuOf(ours),
      torch_mfu: mfuOf(theirs),
      goal_mfu: mfuOf(ours) === null ? null : mfuOf(ours)! >= goals.goalMfu,
      goal_ratio: ratio === null ? null : ratio >= goals.goalRatio,
    };
    rows.push(row);
    trainCells.push([
      r.name,
      String(r.micro),
      r.error ? `error: ${r.error.slice(0, 60)}` : fmt(ours, 0),
      pct(row.mfu),
      t?.error ? `error: ${t.error.slice(0, 60)}` : fmt(theirs, 0),
      pct(row.torch_mfu),
      fmt(ratio, 2),
      yes(row.goal_mfu),
      yes(row.goal_ratio),
    ]);
  }
  lines.push("", pad(trainCells));
  lines.push(
    `goals: MFU ≥ ${100 * goals.goalMfu}% and ≥ ${goals.goalRatio}× PyTorch eager; peak ${peak === null ? "unknown" : sig(peak)} TFLOP/s` +
      (torch.skipped ? `; PyTorch skipped: ${torch.skipped}` : ""),
  );
  return { text: lines.join("\n"), rows };
}
