// What the benchmark ran on, printed above its table and stored with its results: a rate means little
// without the CPU, the threads that produced it and how busy the machine was.
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
