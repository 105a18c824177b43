// The launching side of `neox train` with many processes: run the plan's mpirun with
// --tag-output, pass rank 0's lines through (only rank 0 writes console lines, so the user sees one
// run), keep every rank's last lines of stderr, and when the job fails say which rank failed and
// what it printed. mpirun itself aborts the job as soon as one rank exits non-zero, so a failing
// rank ends the run in seconds instead of leaving the others waiting in a collective.
import { spawn } from "node:child_process";
import type { LaunchPlan } from "@neox/launch";

/** Lines of stderr kept per rank for the failure report. */
const KEEP = 20;

export interface RanksResult {
  code: number;
  /** The rank mpirun names as the first to fail, else the last rank that wrote stderr; null on success. */
  failedRank: number | null;
}

interface Sinks {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** [jobid,rank]<stream>:text, as Open MPI's --tag-output writes each line. */
const TAGGED = /^\[\d+,(\d+)\]<(stdout|stderr)>:(.*)$/;
/** "Process name: [[146,1],1]" in mpirun's report of the first process that exited non-zero. */
const FIRST_FAILED = /Process name:\s*\[\[\d+,\d+\],(\d+)\]/;

/** The plan's command with --tag-output after the launcher's name. */
export function taggedCommand(plan: LaunchPlan): string[] {
  const [launcher, ...rest] = plan.command;
  if (launcher !== "mpirun")
    throw new Error(`neox train: launching ${launcher} is not built yet (mpirun only)`);
  return [launcher, "--tag-output", ...rest];
}

export function runRanks(plan: LaunchPlan, sinks: Sinks, signal?: AbortSignal): Promise<RanksResult> {
  const [cmd, ...args] = taggedCommand(plan);
  const tails = new Map<number, string[]>();
  let lastErrRank: number | null = null;
  let untagged = "";
  const onLine = (line: string, fromStderr: boolean) => {
    const m = TAGGED.exec(line);
    if (!m) {
      // mpirun's own lines (its abort report); kept for the failure summary
      if (fromStderr) untagged += `${line}\n`;
      else sinks.stdout(`${line}\n`);
      return;
    }
    const rank = Number(m[1]);
    const text = m[3]!;
    if (m[2] === "stderr") {
      const t = tails.get(rank) ?? [];
      t.push(text);
      if (t.length > KEEP) t.shift();
      tails.set(rank, t);
      lastErrRank = rank;
      if (rank === 0) sinks.stderr(`${text}\n`);
    } else if (rank === 0) sinks.stdout(`${text}\n`);
  };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"] });
    const abort = () => child.kill("SIGINT"); // mpirun forwards it to every rank
    signal?.addEventListener("abort", abort);
    for (const [stream, fromStderr] of [
      [child.stdout!, false],
      [child.stderr!, true],
    ] as const) {
      let pending = "";
      stream.setEncoding("utf8");
      stream.on("data", (d: string) => {
        pending += d;
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const l of lines) onLine(l, fromStderr);
      });
      stream.on("end", () => {
        if (pending !== "") onLine(pending, fromStderr);
      });
    }
    child.on("error", (e) =>
      reject(
        new Error(`neox train: cannot start ${cmd} (${e.message}); is Open MPI installed (openmpi-bin)?`),
      ),
    );
    child.on("close", (code, sig) => {
      signal?.removeEventListener("abort", abort);
      const exit = code ?? 128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 9);
      if (exit === 0) return resolve({ code: 0, failedRank: null });
      const named = FIRST_FAILED.exec(untagged);
      const failedRank = named ? Number(named[1]) : lastErrRank;
      const where = failedRank === null ? "a rank" : `rank ${failedRank}`;
      const tail = failedRank === null ? [] : (tails.get(failedRank) ?? []);
      const lines = [`neox train: ${where} of ${plan.worldSize} failed (mpirun exit code ${exit})`];
      if (tail.length > 0) lines.push(`its last lines of stderr:`, ...tail.map((l) => `  ${l}`));
      else if (untagged.trim() !== "") lines.push(untagged.trimEnd());
      sinks.stderr(`${lines.join("\n")}\n`);
      resolve({ code: exit, failedRank });
    });
  });
}
