// The launch plan: from GPT-NeoX's launcher keys (NeoXArgsDeepspeedRunner plus deepspeed_slurm) and
// the environment, which processes run where, the exact command that starts them, and what each
// rank finds in its environment. Pure: the env, core count and root-ness are parameters.
import { readFileSync } from "node:fs";
import { LaunchError } from "./errors";
import { parseHostfile } from "./hostfile";
import { type Resources, selectResources } from "./resources";
import { type Env, slurmAllocation } from "./slurm";

/** single: one process, nothing to launch; local: mpirun on this machine; hosts: mpirun --host; slurm: srun. */
export type LaunchKind = "single" | "local" | "hosts" | "slurm";

export interface RankPlan {
  rank: number;
  host: string;
  /** What the rank's environment holds (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_*, NEOX_RESOLVED_CONFIG). */
  env: Readonly<Record<string, string>>;
}

export interface LaunchPlan {
  kind: LaunchKind;
  worldSize: number;
  /** argv of the launcher command; empty for kind single. */
  command: readonly string[];
  hosts: Resources;
  masterAddr: string;
  masterPort: number;
  /** The resolved config each rank reads (written by the launcher before it starts the ranks). */
  configPath: string;
  ranks: readonly RankPlan[];
  /** Where the launcher's variables come from inside a rank (e.g. OMPI_COMM_WORLD_RANK). */
  rankSource: string;
  /** Why this plan: which key, flag or variable decided each part. */
  notes: readonly string[];
}

export interface LaunchOptions {
  /** The environment the launch starts from (DLTS_HOSTFILE, MASTER_ADDR, SLURM_*). */
  env: Env;
  /** The command each rank runs. */
  worker: readonly string[];
  /** Path of the resolved config the ranks read (see defaultConfigPath). */
  configPath: string;
  /** Cores on this machine: more local ranks than this need mpirun --oversubscribe. */
  cpus: number;
  /** Open MPI refuses root without --allow-run-as-root. */
  isRoot: boolean;
  readFile?: (path: string) => string;
  /** DeepSpeed's default hostfile /job/hostfile counts only when it exists. */
  fileExists?: (path: string) => boolean;
}

/** DeepSpeed's default hostfile (deepspeed.launcher.runner DLTS_HOSTFILE). */
export const DEFAULT_HOSTFILE = "/job/hostfile";

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const int = (v: unknown): number | null => (typeof v === "number" && Number.isSafeInteger(v) ? v : null);

/** Which hostfile applies: $DLTS_HOSTFILE overrides the hostfile key, as GPT-NeoX's deepy does. */
function hostfileOf(values: Readonly<Record<string, unknown>>, opts: LaunchOptions, notes: string[]) {
  const fromEnv = str(opts.env.DLTS_HOSTFILE);
  const fromKey = str(values.hostfile);
  if (fromEnv !== null) {
    notes.push(
      `hostfile ${fromEnv} from $DLTS_HOSTFILE${fromKey !== null && fromKey !== fromEnv ? ` (it overrides hostfile: ${fromKey}, as in GPT-NeoX)` : ""}`,
    );
    return fromEnv;
  }
  if (fromKey !== null) {
    notes.push(`hostfile ${fromKey} from the hostfile key (or -H)`);
    return fromKey;
  }
  if (opts.fileExists?.(DEFAULT_HOSTFILE)) {
    notes.push(`hostfile ${DEFAULT_HOSTFILE} (DeepSpeed's default, present on this machine)`);
    return DEFAULT_HOSTFILE;
  }
  return null;
}

function readHostfile(path: string, opts: LaunchOptions) {
  let text: string;
  try {
    text = (opts.readFile ?? ((p) => readFileSync(p, "utf8")))(path);
  } catch (e) {
    throw new LaunchError(`hostfile ${path}: cannot read it (${(e as Error).message})`);
  }
  return parseHostfile(text, path);
}

/** Rendezvous address: $MASTER_ADDR wins over master_addr (GPT-NeoX's deepy), else `fallback`. */
function masterOf(values: Readonly<Record<string, unknown>>, env: Env, fallback: string, notes: string[]) {
  const port = int(values.master_port) ?? 29500;
  const fromEnv = str(env.MASTER_ADDR);
  const fromKey = str(values.master_addr);
  if (fromEnv !== null) {
    notes.push(
      `MASTER_ADDR ${fromEnv} from the environment${fromKey !== null ? ` (it wins over master_addr: ${fromKey}, as in GPT-NeoX)` : ""}`,
    );
    return { addr: fromEnv, port };
  }
  if (fromKey !== null) return { addr: fromKey, port };
  return { addr: fallback, port };
}

function ranksOf(hosts: Resources, addr: string, port: number, configPath: string): RankPlan[] {
  const world = hosts.reduce((n, h) => n + h.slots.length, 0);
  const ranks: RankPlan[] = [];
  for (const h of hosts) {
    for (let local = 0; local < h.slots.length; local++) {
      const rank = ranks.length;
      ranks.push({
        rank,
        host: h.host,
        env: {
          RANK: String(rank),
          LOCAL_RANK: String(local),
          WORLD_SIZE: String(world),
          MASTER_ADDR: addr,
          MASTER_PORT: String(port),
          NEOX_RESOLVED_CONFIG: configPath,
        },
      });
    }
  }
  return ranks;
}

/** The variables every rank shares, for mpirun -x and srun --export. */
function shared(addr: string, port: number, configPath: string): string[] {
  return [`MASTER_ADDR=${addr}`, `MASTER_PORT=${port}`, `NEOX_RESOLVED_CONFIG=${configPath}`];
}

const MPI_SOURCE =
  "RANK, LOCAL_RANK, WORLD_SIZE from OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_LOCAL_RANK, OMPI_COMM_WORLD_SIZE (MPI discovery, as deepspeed_mpi does)";

function mpirun(
  hosts: Resources,
  multiHost: boolean,
  values: Readonly<Record<string, unknown>>,
  opts: LaunchOptions,
  notes: string[],
): LaunchPlan {
  const world = hosts.reduce((n, h) => n + h.slots.length, 0);
  const { addr, port } = masterOf(values, opts.env, multiHost ? hosts[0]!.host : "127.0.0.1", notes);
  const cmd = ["mpirun", "-np", String(world)];
  if (multiHost) cmd.push("--host", hosts.map((h) => `${h.host}:${h.slots.length}`).join(","));
  if (opts.isRoot) {
    cmd.push("--allow-run-as-root");
    notes.push("--allow-run-as-root: this user is root, which Open MPI refuses otherwise");
  }
  if (!multiHost && world > opts.cpus) {
    cmd.push("--oversubscribe");
    notes.push(`--oversubscribe: ${world} ranks on ${opts.cpus} cores`);
  }
  // each rank sizes its own thread pool; Open MPI's default core binding would pin them all to one core
  cmd.push("--bind-to", "none");
  for (const kv of shared(addr, port, opts.configPath)) cmd.push("-x", kv);
  cmd.push(...opts.worker);
  return {
    kind: multiHost ? "hosts" : "local",
    worldSize: world,
    command: cmd,
    hosts,
    masterAddr: addr,
    masterPort: port,
    configPath: opts.configPath,
    ranks: ranksOf(hosts, addr, port, opts.configPath),
    rankSource: MPI_SOURCE,
    notes,
  };
}

/** Plans the launch of a run from its resolved values (ResolvedConfig.values). */
export function planLaunch(values: Readonly<Record<string, unknown>>, opts: LaunchOptions): LaunchPlan {
  const notes: string[] = [];
  const launcher = str(values.launcher) ?? "pdsh";
  if (launcher === "slurm" || values.deepspeed_slurm === true) {
    return planSlurm(values, opts, notes);
  }
  const hostfile = hostfileOf(values, opts, notes);
  if (hostfile !== null) {
    const hosts = selectResources(readHostfile(hostfile, opts), values, hostfile);
    if ((str(values.include) ?? str(values.exclude)) !== null && int(values.num_gpus) !== null) {
      notes.push("num_gpus is dropped because include/exclude is given (GPT-NeoX's deepy)");
    }
    // DeepSpeed runs a single host with its local launcher unless force_multi asks otherwise
    const multi = hosts.length > 1 || values.force_multi === true;
    if (!multi) {
      if (hosts[0]!.slots.length === 1) return single(opts, notes);
      notes.push(`${hosts[0]!.slots.length} processes of host ${hosts[0]!.host} run on this machine`);
      return mpirun(hosts, false, values, opts, notes);
    }
    if (launcher === "openmpi") return mpirun(hosts, true, values, opts, notes);
    if (launcher === "pdsh") {
      throw new LaunchError(
        `launcher: pdsh (the default) cannot start ranks on ${hosts.length} hosts yet: pdsh launching waits for the NCCL backend and its TCP-store rendezvous (pdsh gives no MPI wiring); set launcher: openmpi, or slurm inside an allocation`,
      );
    }
    throw new LaunchError(`launcher: ${launcher} is not supported; use openmpi or slurm`);
  }
  const nodes = int(values.num_nodes) ?? -1;
  if (nodes > 1) {
    throw new LaunchError(
      `num_nodes: ${nodes} needs a hostfile (hostfile key, -H or $DLTS_HOSTFILE) or a Slurm allocation (launcher: slurm)`,
    );
  }
  const perNode = int(values.num_gpus) ?? 1;
  if (perNode <= 1) return single(opts, notes);
  notes.push(`num_gpus: ${perNode} processes on this machine`);
  return mpirun([{ host: "localhost", slots: range(perNode) }], false, values, opts, notes);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function single(opts: LaunchOptions, notes: string[]): LaunchPlan {
  return {
    kind: "single",
    worldSize: 1,
    command: [],
    hosts: [{ host: "localhost", slots: [0] }],
    masterAddr: "127.0.0.1",
    masterPort: 29500,
    configPath: opts.configPath,
    ranks: [],
    rankSource: "",
    notes,
  };
}

/** srun inside the current allocation, ranks from SLURM_PROCID/SLURM_LOCALID/SLURM_NTASKS. */
function planSlurm(
  values: Readonly<Record<string, unknown>>,
  opts: LaunchOptions,
  notes: string[],
): LaunchPlan {
  const alloc = slurmAllocation(opts.env);
  if (alloc === null) {
    throw new LaunchError(
      "launcher: slurm (or deepspeed_slurm) starts ranks with srun inside an allocation, but SLURM_JOB_ID is not set: run neox train under salloc or sbatch",
    );
  }
  notes.push(`Slurm job ${alloc.jobId} on ${alloc.nodes.join(",")}`);
  const hostfile = str(values.hostfile) ?? str(opts.env.DLTS_HOSTFILE);
  let pool: { host: string; slots: number }[];
  if (hostfile !== null) {
    pool = [...readHostfile(hostfile, opts)];
    notes.push(`hosts and slots from hostfile ${hostfile}`);
  } else {
    const fromTasks =
      alloc.tasks !== null && alloc.tasks % alloc.nodes.length === 0
        ? alloc.tasks / alloc.nodes.length
        : null;
    const perNode = int(values.num_gpus) ?? alloc.tasksPerNode ?? fromTasks ?? 1;
    pool = alloc.nodes.map((host) => ({ host, slots: perNode }));
  }
  const where = hostfile ?? "the Slurm allocation (SLURM_JOB_NODELIST)";
  for (const term of [str(values.include), str(values.exclude)]) {
    if (term?.includes(":")) {
      throw new LaunchError(
        `include/exclude ${JSON.stringify(term)}: under Slurm give hosts only (srun places tasks, not slot ids)`,
      );
    }
  }
  const hosts = selectResources(pool, values, where);
  const counts = new Set(hosts.map((h) => h.slots.length));
  if (counts.size > 1) {
    throw new LaunchError(
      `srun starts the same number of tasks on every node, but ${where} gives ${hosts.map((h) => `${h.host}:${h.slots.length}`).join(", ")}`,
    );
  }
  const perNode = hosts[0]!.slots.length;
  const world = perNode * hosts.length;
  const { addr, port } = masterOf(values, opts.env, hosts[0]!.host, notes);
  for (const kv of shared(addr, port, opts.configPath)) {
    if (kv.includes(",")) throw new LaunchError(`srun --export cannot carry a comma: ${kv}`);
  }
  const cmd = [
    "srun",
    `--nodes=${hosts.length}`,
    `--ntasks=${world}`,
    `--ntasks-per-node=${perNode}`,
    `--nodelist=${hosts.map((h) => h.host).join(",")}`,
    "--cpu-bind=none",
  ];
  const comment = str(values.comment);
  const account = str(values.account);
  if (comment !== null) cmd.push(`--comment=${comment}`);
  if (account !== null) cmd.push(`--account=${account}`);
  cmd.push(`--export=ALL,${shared(addr, port, opts.configPath).join(",")}`);
  // the ranks are Open MPI processes without mpirun: MPI_Init finds its peers through the PMIx
  // server srun starts (--mpi=pmix; clusters often default to MpiDefault=none), unless
  // $SLURM_MPI_TYPE already names the plugin srun is to use
  const mpiType = str(opts.env.SLURM_MPI_TYPE);
  if (mpiType === null) cmd.push("--mpi=pmix");
  else notes.push(`srun's MPI plugin ${mpiType} from $SLURM_MPI_TYPE`);
  // a rank that exits non-zero ends the step, as under mpirun; without it the others would wait
  // for it in their next all-reduce until the job's time limit
  cmd.push("--kill-on-bad-exit=1", ...opts.worker);
  return {
    kind: "slurm",
    worldSize: world,
    command: cmd,
    hosts,
    masterAddr: addr,
    masterPort: port,
    configPath: opts.configPath,
    ranks: ranksOf(hosts, addr, port, opts.configPath),
    rankSource:
      "RANK, LOCAL_RANK, WORLD_SIZE from SLURM_PROCID, SLURM_LOCALID, SLURM_NTASKS (as deepspeed_slurm does)",
    notes,
  };
}
