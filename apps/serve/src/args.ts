// `neox serve CONFIGS... [--set key=value ...] [--port P] [--host H] [--slots N] ...`: the
// arguments, checked up front. Config keys are GPT-NeoX's (set in a file or with --set); what only
// the server needs is a flag.
import { UsageError } from "@neox/config";

export { UsageError };

export const HELP = `usage: neox serve CONFIG... [--set key=value ...] [--port P] [--host H] [--slots N]
                  [--max-body-bytes N] [--weights fp32|bf16]

Serves the checkpoint named by \`load\` as an OpenAI-compatible completions endpoint:
POST /v1/completions (prompt as text, token ids or a list of either; max_tokens, temperature,
top_p, top_k, stop, seed, echo, logprobs, stream, ignore_eos) and GET /v1/models. Concurrent
requests share forward passes: up to --slots sequences are decoded together.

  --set key=value       override a config value (repeatable; YAML value syntax)
  --port P              port to listen on (default 8000; 0 picks a free one, printed when listening)
  --host H              address to bind (default 127.0.0.1)
  --slots N             sequences decoded together; more requests wait for a slot (default 16)
  --max-body-bytes N    larger request bodies get 413 (default 4194304, 4 MiB)
  --weights fp32|bf16   bf16 keeps a bf16 copy of the weights for the GEMMs (default fp32)

Prints \`neox serve: listening on http://HOST:PORT (...)\` once it accepts connections. SIGINT or
SIGTERM stops it: in-flight requests are aborted, the listener closes, and it exits 0.

example:
  pnpm -s neox serve configs/tiny.yml --set load=checkpoints --port 8000
`;

export interface ServeArgs {
  configs: string[];
  overrides: string[];
  port: number;
  host: string;
  slots: number;
  maxBodyBytes: number;
  weights: "fp32" | "bf16";
}

const VALUED = ["--set", "--port", "--host", "--slots", "--max-body-bytes", "--weights"] as const;

export function parseArgs(argv: readonly string[]): ServeArgs | "help" {
  const out: ServeArgs = {
    configs: [],
    overrides: [],
    port: 8000,
    host: "127.0.0.1",
    slots: 16,
    maxBodyBytes: 4 * 2 ** 20,
    weights: "fp32",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") return "help";
    if (!a.startsWith("-")) {
      out.configs.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!(VALUED as readonly string[]).includes(name))
      throw new UsageError(`unknown option ${a} (see neox serve --help)`);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${name} expects a value, got nothing`);
    if (name === "--set") {
      if (!value.includes("=")) throw new UsageError(`--set expects key=value, got ${value}`);
      out.overrides.push(value);
    } else if (name === "--port") out.port = integer(name, value, 0, 65535);
    else if (name === "--host") out.host = value;
    else if (name === "--slots") out.slots = integer(name, value, 1, 4096);
    else if (name === "--max-body-bytes") out.maxBodyBytes = integer(name, value, 1, 2 ** 40);
    else if (value === "fp32" || value === "bf16") out.weights = value;
    else throw new UsageError(`--weights expects fp32 or bf16, got ${value}`);
  }
  if (out.configs.length === 0) throw new UsageError("no config files given (see neox serve --help)");
  return out;
}

function integer(flag: string, text: string, min: number, max: number): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= max))
    throw new UsageError(`${flag} expects an integer in [${min}, ${max}], got ${text}`);
  return n;
}
