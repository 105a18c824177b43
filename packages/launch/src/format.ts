// `neox train --dry-run`'s launch section: the exact command line, shell-quoted so it can be pasted,
// and the environment each rank will see.
import type { LaunchPlan } from "./plan";

const SAFE = /^[A-Za-z0-9_\-+=.,/:@%]+$/;

/** One argument as POSIX sh reads it back unchanged. */
export function shellQuote(arg: string): string {
  if (SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Ranks listed one per line up to this many; a larger job shows the first and last few. */
const MAX_RANK_LINES = 32;

export function formatPlan(plan: LaunchPlan): string {
  if (plan.kind === "single") return "launch: one process, no launcher\n";
  const where =
    plan.kind === "local"
      ? "on this machine through mpirun"
      : plan.kind === "hosts"
        ? `on ${plan.hosts.length} hosts through mpirun`
        : `on ${plan.hosts.length} nodes through srun`;
  const lines = [`launch: ${plan.worldSize} processes ${where}`];
  for (const n of plan.notes) lines.push(`  ${n}`);
  lines.push("command:", `  ${plan.command.map(shellQuote).join(" ")}`);
  lines.push(`per-rank environment (${plan.rankSource}):`);
  const show =
    plan.ranks.length <= MAX_RANK_LINES
      ? plan.ranks
      : [...plan.ranks.slice(0, MAX_RANK_LINES / 2), null, ...plan.ranks.slice(-MAX_RANK_LINES / 2)];
  for (const r of show) {
    if (r === null) {
      lines.push(`  ... ${plan.ranks.length - MAX_RANK_LINES} more ranks`);
      continue;
    }
    const env = Object.entries(r.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
    lines.push(`  rank ${r.rank} on ${r.host}: ${env.join(" ")}`);
  }
  return `${lines.join("\n")}\n`;
}
