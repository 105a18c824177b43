// GPT-NeoX / DeepSpeed hostfiles: one `<host> slots=<n>` line per machine, `#` comments and blank
// lines allowed (deepspeed.launcher.runner.fetch_hostfile). Slots are processes per host here.
import { LaunchError } from "./errors";

/** Hosts in file order, each with its slot count. */
export type HostSlots = ReadonlyArray<{ readonly host: string; readonly slots: number }>;

const LINE = /^(\S+)\s+slots=(\d+)$/;

/** Parses hostfile text; `file` only names the file in errors ("file:line: ..."). */
export function parseHostfile(text: string, file: string): HostSlots {
  const out: { host: string; slots: number }[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const where = `${file}:${i + 1}`;
    const m = LINE.exec(line);
    if (!m) {
      throw new LaunchError(`${where}: expected "<host> slots=<n>", got ${JSON.stringify(lines[i]!.trim())}`);
    }
    const host = m[1]!;
    const slots = Number(m[2]);
    if (!Number.isSafeInteger(slots) || slots < 1) {
      throw new LaunchError(`${where}: slots must be a whole number ≥ 1, got ${m[2]}`);
    }
    // DeepSpeed refuses a host listed twice: which line's slots would count is ambiguous
    const first = seen.get(host);
    if (first !== undefined) {
      throw new LaunchError(`${where}: host ${host} is already listed on line ${first}`);
    }
    seen.set(host, i + 1);
    out.push({ host, slots });
  }
  if (out.length === 0) throw new LaunchError(`${file}: no "<host> slots=<n>" lines`);
  return out;
}
