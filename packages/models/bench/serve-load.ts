// The server row of `pnpm bench:generate`: `neox serve` on a Pythia-70M-shaped checkpoint (random
// weights written here; GPT-2's BPE from `data/`, which `pnpm -s quickstart` writes, padded to
// 50304), with CLIENTS concurrent clients each sending REQUESTS completions one after another
// (PROMPT token ids, NEW new tokens, greedy). Reports completions/s, generated tokens/s and the p50
// and p99 of the request latency. Null (with the reason) when the tokenizer files are missing.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ResolvedConfig } from "@neox/config";
import { writeSafetensors } from "@neox/tensor";
import { GptNeoXModel } from "../src/index";

export interface ServeLoad {
  clients: number;
  completions: number;
  completions_per_sec: number;
  tokens_per_sec: number;
  p50_ms: number;
  p99_ms: number;
}

const CLIENTS = 32;
const REQUESTS = 4;
const PROMPT = 128;
const NEW = 32;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function serveLoad(
  root: string,
  r: ResolvedConfig,
  threads: number,
): Promise<ServeLoad | string> {
  const vocab = join(root, "data", "gpt2-vocab.json");
  const merges = join(root, "data", "gpt2-merges.txt");
  if (!existsSync(vocab) || !existsSync(merges))
    return "data/gpt2-vocab.json missing (run pnpm -s quickstart first)";
  const dir = mkdtempSync(join(tmpdir(), "neox-bench-serve-"));
  let child: ChildProcess | null = null;
  try {
    const model = GptNeoXModel.fromConfig(r);
    const tensors = Object.fromEntries(
      [...model.registry.entries()].map((p) => [p.name, model.registry.flat.get(p.name)]),
    );
    writeSafetensors(join(dir, "model.safetensors"), tensors);
    model.dispose();
    writeFileSync(
      join(dir, "serve.yml"),
      [
        "tokenizer_type: GPT2BPETokenizer",
        `vocab_file: ${vocab}`,
        `merge_file: ${merges}`,
        "make_vocab_size_divisible_by: 128",
        `load: ${join(dir, "model.safetensors")}`,
        "",
      ].join("\n"),
    );
    const loader = pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href;
    const args = [
      "--conditions=@neox/source",
      "--import",
      loader,
      join(root, "apps/cli/src/bin.ts"),
      "serve",
    ];
    args.push(
      join(root, "configs/pythia/70M.yml"),
      join(dir, "serve.yml"),
      "--port",
      "0",
      "--slots",
      String(CLIENTS),
    );
    child = spawn(process.execPath, args, {
      env: { ...process.env, NEOX_NUM_THREADS: String(threads) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let seen = "";
      const onData = (d: Buffer) => {
        seen += d;
        const m = /listening on (http:\/\/\S+)/.exec(seen);
        if (m) resolve(m[1]!);
      };
      child!.stdout!.on("data", onData);
      child!.stderr!.on("data", onData);
      child!.on("exit", (code) => reject(new Error(`neox serve exited ${code}: ${seen.slice(-500)}`)));
    });
    const prompt = (c: number, i: number) =>
      Array.from({ length: PROMPT }, (_, t) => (t * 7919 + c * 104729 + (i + 1) * 31) % 50257);
    const one = async (c: number, i: number): Promise<number> => {
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: prompt(c, i), max_tokens: NEW, temperature: 0, ignore_eos: true }),
      });
      const body = (await res.json()) as { choices?: { token_ids?: number[] }[] };
      if (res.status !== 200 || !body.choices)
        throw new Error(`serve answered ${res.status}: ${JSON.stringify(body)}`);
      return performance.now() - t0;
    };
    await one(0, -1); // warm-up
    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; i < REQUESTS; i++) latencies.push(await one(c, i));
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const n = CLIENTS * REQUESTS;
    return {
      clients: CLIENTS,
      completions: n,
      completions_per_sec: n / seconds,
      tokens_per_sec: (n * NEW) / seconds,
      p50_ms: quantile(latencies, 0.5),
      p99_ms: quantile(latencies, 0.99),
    };
  } catch (error) {
    return String(error).split("\n")[0]!;
  } finally {
    child?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

export const SERVE_SHAPE = { clients: CLIENTS, requests: REQUESTS, prompt: PROMPT, new_tokens: NEW };
