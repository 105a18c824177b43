// A single-node Slurm cluster for the e2e tests, started as child processes in a temporary
// directory: munged with its own key and socket, then slurmctld and slurmd in the foreground on one
// slurm.conf (no systemd, no /etc/slurm, ports chosen free), and torn down by stop(). Clients
// (sinfo, salloc, srun) find the cluster through SLURM_CONF in `env`. Debian's slurm-wlm and munge
// provide the binaries; the tests skip when they are absent.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, hostname, tmpdir, userInfo } from "node:os";
import { join } from "node:path";

/** The daemons the cluster needs, or null when all are installed. */
export function missingSlurm(): string | null {
  const missing = ["munged", "slurmctld", "slurmd", "salloc", "srun", "sinfo"].filter(
    (bin) => spawnSync(bin, ["-V"], { encoding: "utf8" }).error !== undefined,
  );
  return missing.length === 0
    ? null
    : `${missing.join(", ")} not installed (apt-get install slurm-wlm munge)`;
}

export interface SlurmCluster {
  /** Slurm's name of this machine (hostname up to the first dot, as slurmd registers it). */
  node: string;
  /** The environment a client needs: process.env plus SLURM_CONF. */
  env: NodeJS.ProcessEnv;
  /** The cluster's own logs, for a failure message. */
  logs: () => string;
  stop: () => Promise<void>;
}

/** A port nothing listens on now (the daemons bind it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function slurmConf(dir: string, node: string, user: string, ports: [number, number]): string {
  return [
    "ClusterName=neoxtest",
    `SlurmctldHost=${node}(127.0.0.1)`,
    `SlurmUser=${user}`,
    `SlurmdUser=${user}`,
    "AuthType=auth/munge",
    "CredType=cred/munge",
    `AuthInfo=socket=${join(dir, "munge", "socket")}`,
    `SlurmctldPort=${ports[0]}`,
    `SlurmdPort=${ports[1]}`,
    `StateSaveLocation=${join(dir, "state")}`,
    `SlurmdSpoolDir=${join(dir, "spool")}`,
    `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
    `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
    `SlurmctldLogFile=${join(dir, "slurmctld.log")}`,
    `SlurmdLogFile=${join(dir, "slurmd.log")}`,
    // no cgroups in a container: track processes through /proc, bind nothing
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "MpiDefault=none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    "SchedulerType=sched/builtin",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "MailProg=/bin/true",
    "ReturnToService=2",
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${availableParallelism()} RealMemory=1000 State=UNKNOWN`,
    `PartitionName=test Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
    "",
  ].join("\n");
}

function daemon(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const fd = openSync(log, "a");
  try {
    return spawn(cmd, args, { env, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((r) => child.once("close", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await closed;
  clearTimeout(timer);
}

/** The first line of `sinfo` for the node: its state ("idle", "down", ...). */
function nodeState(node: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync("sinfo", ["-h", "-n", node, "-o", "%T"], { env, encoding: "utf8", timeout: 5000 });
  return (r.stdout ?? "").trim();
}

/** Starts munged, slurmctld and slurmd, and waits until sinfo shows this node idle (20 s at most). */
export async function startSlurm(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), "neox-slurm-"));
  // munged wants its socket's directory searchable by everyone and the key readable by its owner only
  chmodSync(dir, 0o755);
  for (const sub of ["munge", "state", "spool"]) mkdirSync(join(dir, sub), { mode: 0o755 });
  const key = join(dir, "munge", "munge.key");
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const node = hostname().split(".")[0]!;
  const conf = join(dir, "slurm.conf");
  writeFileSync(conf, slurmConf(dir, node, userInfo().username, [await freePort(), await freePort()]));
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  for (const k of Object.keys(env)) if (k.startsWith("SLURM_") && k !== "SLURM_CONF") delete env[k];

  const children: ChildProcess[] = [];
  const logs = () =>
    ["munged.log", "munged.out", "slurmctld.log", "slurmd.log", "slurmctld.out", "slurmd.out"]
      .map((f) => {
        try {
          return `--- ${f}\n${readFileSync(join(dir, f), "utf8").slice(-3000)}`;
        } catch {
          return "";
        }
      })
      .join("\n");
  const stop = async () => {
    // slurmd before slurmctld, munged last: each daemon's shutdown talks to the next one
    for (const c of children.reverse()) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const m = join(dir, "munge");
    children.push(
      daemon(
        "munged",
        ["--foreground", "--force", `--key-file=${key}`, `--socket=${join(m, "socket")}`]
          .concat([`--pid-file=${join(m, "pid")}`, `--seed-file=${join(m, "seed")}`])
          .concat([`--log-file=${join(dir, "munged.log")}`]),
        env,
        join(dir, "munged.out"),
      ),
    );
    await waitFor(() => spawnSync("munge", ["-n", "-S", join(m, "socket")]).status === 0, 10_000, "munged");
    children.push(daemon("slurmctld", ["-D", "-f", conf], env, join(dir, "slurmctld.out")));
    children.push(daemon("slurmd", ["-D", "-f", conf], env, join(dir, "slurmd.out")));
    await waitFor(() => /^idle/.test(nodeState(node, env)), 20_000, `node ${node} idle in sinfo`);
  } catch (e) {
    const text = `${(e as Error).message}\n${logs()}`;
    await stop();
    throw new Error(text);
  }
  return { node, env, logs, stop };
}

async function waitFor(ok: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`Slurm test cluster: no ${what} after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs `command` as salloc's shell command in a new allocation of `tasks` tasks on one node. */
export function salloc(
  cluster: SlurmCluster,
  tasks: number,
  command: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn("salloc", ["--quiet", "--nodes=1", `--ntasks=${tasks}`, ...command], {
    env: { ...cluster.env, FORCE_COLOR: "0", NEOX_DEBUG: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((res) => child.on("close", (code) => res({ code, stdout, stderr })));
}
