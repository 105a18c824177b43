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

/** [jobid,rank]<stream>: before each piece of output, as Open MPI's --tag-output writes it. */
const TAG = /\[\d+,(\d+)\]<(stdout|stderr)>:/g;
/** "Process name: [[146,1],1]" in mpirun's report of the first process that exited non-zero. */
const FIRST_FAILED = /Process name:\s*\[\[\d+,\d+\],(\d+)\]/;

/** srun --label: "1: " (padded to the widest task id) before each line a task writes. */
const LABEL = /^\s*(\d+): /;
/** "srun: error: node1: task 1: Exited with exit code 1": srun's report of a task that failed. */
const SRUN_FAILED = /: tasks? (\d+)[^:]*: Exited with exit code/;

/** The plan's command with --tag-output (mpirun) or --label (srun) after the launcher's name. */
export function taggedCommand(plan: LaunchPlan): string[] {
  const [launcher, ...rest] = plan.command;
  if (launcher === "srun") return [launcher, "--label", ...rest];
  if (launcher !== "mpirun")
    throw new Error(`neox train: launching ${launcher} is not built yet (mpirun and srun only)`);
  return [launcher, "--tag-output", ...rest];
}

export function runRanks(plan: LaunchPlan, sinks: Sinks, signal?: AbortSignal): Promise<RanksResult> {
  const [cmd, ...args] = taggedCommand(plan);
  const tails = new Map<number, string[]>();
  let lastErrRank: number | null = null;
  let untagged = "";
  const partial = new Map<number, string>(); // a rank's stderr line not ended yet
  const emit = (rank: number, stream: string, text: string, ends: boolean) => {
    if (stream === "stderr") {
      const line = (partial.get(rank) ?? "") + text;
      if (ends) {
        partial.delete(rank);
        const t = tails.get(rank) ?? [];
        t.push(line);
        if (t.length > KEEP) t.shift();
        tails.set(rank, t);
      } else partial.set(rank, line);
      lastErrRank = rank;
      if (rank === 0) sinks.stderr(ends ? `${text}\n` : text);
    } else if (rank === 0) sinks.stdout(ends ? `${text}\n` : text);
  };
  // mpirun tags each piece a rank writes, so a line without its newline yet (a progress bar's
  // \r update) is followed by the next piece's tag on the same line: split at every tag
  const onLine = (line: string, fromStderr: boolean) => {
    // srun labels whole lines only (it holds a task's output until its newline)
    if (cmd === "srun") {
      const m = LABEL.exec(line);
      if (m) return emit(Number(m[1]), fromStderr ? "stderr" : "stdout", line.slice(m[0].length), true);
      if (fromStderr) untagged += `${line}\n`;
      else sinks.stdout(`${line}\n`);
      return;
    }
    const tags = [...line.matchAll(TAG)];
    if (tags.length === 0 || tags[0]!.index !== 0) {
      // mpirun's own lines (its abort report); kept for the failure summary
      if (fromStderr) untagged += `${line}\n`;
      else sinks.stdout(`${line}\n`);
      return;
    }
    tags.forEach((m, i) => {
      const end = i + 1 < tags.length ? tags[i + 1]!.index : line.length;
      const text = line.slice(m.index + m[0].length, end);
      emit(Number(m[1]), m[2]!, text, i + 1 === tags.length);
    });
  };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"] });
    // mpirun passes SIGUSR2 on to every rank untouched (a SIGINT or SIGTERM to mpirun kills the
    // ranks after a second); the ranks stop at one iteration and rank 0 saves (worker.ts)
    const abort = () => child.kill("SIGUSR2");
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
      // interrupted: the ranks stopped on the SIGUSR2 mpirun passed on (rank 0 saved)
      if (signal?.aborted) return resolve({ code: exit, failedRank: null });
      const named = FIRST_FAILED.exec(untagged) ?? SRUN_FAILED.exec(untagged);
      const failedRank = named ? Number(named[1]) : lastErrRank;
      const where = failedRank === null ? "a rank" : `rank ${failedRank}`;
      const tail = failedRank === null ? [] : (tails.get(failedRank) ?? []);
      const lines = [`neox train: ${where} of ${plan.worldSize} failed (${cmd} exit code ${exit})`];
      if (tail.length > 0) lines.push(`its last lines of stderr:`, ...tail.map((l) => `  ${l}`));
      else if (untagged.trim() !== "") lines.push(untagged.trimEnd());
      sinks.stderr(`${lines.join("\n")}\n`);
      resolve({ code: exit, failedRank });
    });
  });
}
