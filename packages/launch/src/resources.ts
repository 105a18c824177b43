// Which slots of which hosts a run uses: DeepSpeed's resource pool (deepspeed.launcher.runner
// parse_resource_filter) filtered by `include` or `exclude` ("host1:0,1@host2"), then the first
// `num_nodes` hosts, then `num_gpus` slots per host unless include/exclude was given (GPT-NeoX's
// deepy drops num_gpus then, spec §1.11). Hosts keep hostfile order; slot ids are 0..slots-1.
import { LaunchError } from "./errors";
import type { HostSlots } from "./hostfile";

/** Host → the slot ids (processes) it runs, in hostfile order. */
export type Resources = ReadonlyArray<{ readonly host: string; readonly slots: readonly number[] }>;

export interface ResourceChoice {
  include?: string | null;
  exclude?: string | null;
  /** -1 or null: every host. */
  num_nodes?: number | null;
  /** null: every slot of each host. */
  num_gpus?: number | null;
}

/** One `host` or `host:0,2` term of an include/exclude string, checked against the hostfile. */
function parseTerm(term: string, key: string, pool: Map<string, number>, file: string) {
  const colon = term.indexOf(":");
  const host = colon < 0 ? term : term.slice(0, colon);
  const slots = pool.get(host);
  if (host === "" || slots === undefined) {
    throw new LaunchError(
      `${key}: host ${JSON.stringify(host)} is not in the hostfile ${file} (hosts: ${[...pool.keys()].join(", ")})`,
    );
  }
  if (colon < 0) return { host, ids: null };
  const ids = term
    .slice(colon + 1)
    .split(",")
    .map((s) => {
      const id = /^\d+$/.test(s.trim()) ? Number(s.trim()) : Number.NaN;
      if (!(Number.isSafeInteger(id) && id < slots)) {
        throw new LaunchError(
          `${key}: slot ${JSON.stringify(s)} of host ${host} is out of range (${file} gives it slots 0..${slots - 1})`,
        );
      }
      return id;
    });
  return { host, ids };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The slots a run uses; `file` names the hostfile in errors. */
export function selectResources(hosts: HostSlots, choice: ResourceChoice, file: string): Resources {
  const pool = new Map(hosts.map((h) => [h.host, h.slots]));
  const include = choice.include ?? "";
  const exclude = choice.exclude ?? "";
  if (include !== "" && exclude !== "") {
    throw new LaunchError("include and exclude are mutually exclusive (DeepSpeed's resource filter)");
  }
  let chosen = new Map<string, Set<number>>();
  if (include !== "") {
    for (const term of include.split("@")) {
      const { host, ids } = parseTerm(term, "include", pool, file);
      const set = chosen.get(host) ?? new Set<number>();
      for (const id of ids ?? range(pool.get(host)!)) set.add(id);
      chosen.set(host, set);
    }
  } else {
    chosen = new Map(hosts.map((h) => [h.host, new Set(range(h.slots))]));
    if (exclude !== "") {
      for (const term of exclude.split("@")) {
        const { host, ids } = parseTerm(term, "exclude", pool, file);
        if (ids === null) chosen.get(host)!.clear();
        else for (const id of ids) chosen.get(host)!.delete(id);
      }
    }
  }
  let out = hosts
    .filter((h) => (chosen.get(h.host)?.size ?? 0) > 0)
    .map((h) => ({ host: h.host, slots: [...chosen.get(h.host)!].sort((a, b) => a - b) }));
  const nodes = choice.num_nodes ?? -1;
  if (nodes > 0) {
    if (nodes > out.length) {
      throw new LaunchError(
        `num_nodes: ${nodes} asks for more hosts than ${file} offers after include/exclude (${out.length})`,
      );
    }
    out = out.slice(0, nodes);
  }
  const perNode = choice.num_gpus ?? null;
  if (perNode !== null && perNode > 0 && include === "" && exclude === "") {
    out = out.map((h) => ({ host: h.host, slots: range(perNode) }));
  }
  if (out.length === 0) {
    throw new LaunchError(`include/exclude leave no slots of ${file} to run on`);
  }
  return out;
}
