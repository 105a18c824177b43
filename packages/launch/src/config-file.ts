// Ranks read the resolved config from a file the launcher writes, never from an encoded blob on the
// command line (GPT-NeoX passes base64 JSON through argv, which hides it from `ps` readers and hits
// argv limits): the given values as JSON, which the YAML loader reads back as it is.
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ResolvedConfig } from "@neox/config";

/** Under the run's save directory (shared by every node of a cluster), else a per-launch temp dir. */
export function defaultConfigPath(values: Readonly<Record<string, unknown>>, launchId: string): string {
  const save = values.save;
  if (typeof save === "string" && save !== "" && !save.includes("://")) {
    return join(save, "launch", `resolved-config-${launchId}.json`);
  }
  return join(tmpdir(), `neox-launch-${launchId}`, "resolved-config.json");
}

/** The values a file or --set gave, as JSON: resolving it again yields the same config. */
export function resolvedConfigText(r: ResolvedConfig): string {
  const given: Record<string, unknown> = {};
  for (const k of [...r.given].sort()) given[k] = r.values[k];
  return `${JSON.stringify(given, null, 2)}\n`;
}

export function writeResolvedConfig(path: string, r: ResolvedConfig): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, resolvedConfigText(r));
}
