// What a benchmark ran on, printed above its table and stored with its results: a rate means little
// without the CPU, how many threads produced it and how busy the machine was. Also finds out whether
// the numpy anchor can run, and if not, says what is missing and how to install it.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";

export interface Machine {
  cpu: string;
  logical_cpus: number;
  memory_gib: number;
  load_average_1m: number;
  node: string;
}

/** The CPU model as /proc/cpuinfo names it (os.cpus() where there is no /proc). */
function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux: fall through
  }
  return cpus()[0]?.model.trim() || "unknown CPU";
}

export function machine(): Machine {
  return {
    cpu: cpuModel(),
    logical_cpus: cpus().length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    load_average_1m: Number(loadavg()[0]!.toFixed(2)),
    node: process.version,
  };
}

export function describeMachine(m: Machine): string {
  return `CPU ${m.cpu}, ${m.logical_cpus} logical CPUs, ${m.memory_gib} GiB, load average ${m.load_average_1m} at start, Node ${m.node}`;
}

export const PYTHON = "/usr/bin/python3";

/** numpy's version under /usr/bin/python3, or why the anchor cannot run and how to fix that. */
export function numpyStatus(): { version: string } | { missing: string } {
  const r = spawnSync(PYTHON, ["-c", "import numpy; print(numpy.__version__)"], { encoding: "utf8" });
  if (r.error) {
    return {
      missing: `${PYTHON} not found (${(r.error as NodeJS.ErrnoException).code}); install it with \`apt install python3 python3-numpy\``,
    };
  }
  if (r.status !== 0) {
    return {
      missing: `${PYTHON} cannot import numpy; install it with \`apt install python3-numpy\``,
    };
  }
  return { version: r.stdout.trim() };
}
