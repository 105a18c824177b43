// What a Slurm allocation offers, read from the SLURM_* variables srun and sbatch set (the env is a
// parameter, never process.env read here, so tests can pass a fake allocation).
import { LaunchError } from "./errors";

export type Env = Readonly<Record<string, string | undefined>>;

export interface SlurmAllocation {
  jobId: string;
  /** Node names, expanded from SLURM_JOB_NODELIST ("node[01-03,07]" → node01, node02, ...). */
  nodes: string[];
  /** SLURM_NTASKS_PER_NODE when the allocation fixed it, else null. */
  tasksPerNode: number | null;
  /** SLURM_NTASKS when set, else null. */
  tasks: number | null;
}

/** Splits at commas outside brackets: "a[1-2,4],b" → ["a[1-2,4]", "b"]. */
function topLevelParts(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i] === "[") depth++;
    else if (list[i] === "]") depth--;
    else if (list[i] === "," && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  return parts.filter((p) => p !== "");
}

/** Slurm's compressed host list ("node[01-03,07],login1") as names; zero padding is kept. */
export function expandNodelist(list: string): string[] {
  const out: string[] = [];
  for (const part of topLevelParts(list.trim())) {
    const m = /^([^[\]]*)\[([^\]]+)\](.*)$/.exec(part);
    if (!m) {
      if (/[[\]]/.test(part))
        throw new LaunchError(`SLURM_JOB_NODELIST: cannot read ${JSON.stringify(part)}`);
      out.push(part);
      continue;
    }
    const [, prefix, ranges, rest] = m as unknown as [string, string, string, string];
    for (const r of ranges.split(",")) {
      const dash = /^(\d+)-(\d+)$/.exec(r);
      const tails = expandNodelist(rest === "" ? "" : rest);
      const suffixes = tails.length > 0 ? tails : [""];
      if (dash) {
        const [lo, hi] = [Number(dash[1]), Number(dash[2])];
        const width = dash[1]!.length;
        if (hi < lo || hi - lo > 100_000) {
          throw new LaunchError(
            `SLURM_JOB_NODELIST: bad range ${JSON.stringify(r)} in ${JSON.stringify(part)}`,
          );
        }
        for (let n = lo; n <= hi; n++) {
          for (const s of suffixes) out.push(`${prefix}${String(n).padStart(width, "0")}${s}`);
        }
      } else if (/^\d+$/.test(r)) {
        for (const s of suffixes) out.push(`${prefix}${r}${s}`);
      } else {
        throw new LaunchError(
          `SLURM_JOB_NODELIST: bad range ${JSON.stringify(r)} in ${JSON.stringify(part)}`,
        );
      }
    }
  }
  return out;
}

function positiveInt(env: Env, name: string): number | null {
  const v = env[name];
  if (v === undefined || v === "") return null;
  // SLURM_NTASKS_PER_NODE is a plain number; SLURM_TASKS_PER_NODE's "2(x3)" form is not read here
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    throw new LaunchError(`${name}: expected a whole number ≥ 1, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** The allocation this process runs in, or null outside one (no SLURM_JOB_ID). */
export function slurmAllocation(env: Env): SlurmAllocation | null {
  const jobId = env.SLURM_JOB_ID ?? env.SLURM_JOBID;
  if (jobId === undefined || jobId === "") return null;
  const list = env.SLURM_JOB_NODELIST ?? env.SLURM_NODELIST;
  if (list === undefined || list === "") {
    throw new LaunchError(`SLURM_JOB_ID is ${jobId} but SLURM_JOB_NODELIST is not set`);
  }
  return {
    jobId,
    nodes: expandNodelist(list),
    tasksPerNode: positiveInt(env, "SLURM_NTASKS_PER_NODE"),
    tasks: positiveInt(env, "SLURM_NTASKS"),
  };
}
