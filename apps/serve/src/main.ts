// `neox serve`: resolve the configs, load the tokenizer and the checkpoint named by `load`, put one
// inference engine (a KV cache of --slots sequences) under one scheduler, and serve it over HTTP
// until SIGINT/SIGTERM. The listening line is the signal a script (or a test) waits for.
import { basename, extname } from "node:path";
import { resolveForVerb, withVocabSize } from "@neox/config";
import { InferenceEngine, loadInferenceModel, Scheduler } from "@neox/models";
import { loadTokenizer, tokenizerOptionsFromConfig } from "@neox/tokenize";
import { HELP, parseArgs } from "./args";
import { TokenStrings } from "./choice";
import { CompletionServer } from "./server";

export async function main(argv: string[], ctx: { signal?: AbortSignal } = {}): Promise<number> {
  const args = parseArgs(argv);
  if (args === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const err = process.stderr;
  const unsized = resolveForVerb("serve", args.configs, args.overrides, (line) => err.write(`${line}\n`));
  if (!unsized) return 1;
  const v = unsized.values;
  const tokenizer = tolerantDecode(await loadTokenizer(tokenizerOptionsFromConfig(v)));
  const resolved = withVocabSize(unsized, tokenizer.vocabSize);
  const { model } = loadInferenceModel(resolved, { verb: "serving", weights: args.weights });
  const engine = new InferenceEngine(model, { slots: args.slots });
  try {
    const modelName = basename(args.configs.at(-1)!, extname(args.configs.at(-1)!));
    const server = new CompletionServer(
      { scheduler: new Scheduler(engine), tokenizer, strings: new TokenStrings(tokenizer), modelName },
      { V: engine.V, maxT: engine.maxT, encode: (t) => tokenizer.encode(t) },
      { maxBodyBytes: args.maxBodyBytes },
    );
    const stopped = new Promise<void>((resolve) => {
      if (ctx.signal?.aborted) resolve();
      // not `once`: the command counts abort listeners after dispatching to learn whether to wait for the verb
      ctx.signal?.addEventListener("abort", () => resolve());
    });
    const at = await server.listen(args.port, args.host).catch((e: Error) => {
      throw new Error(`cannot listen on ${args.host}:${args.port}: ${e.message}`);
    });
    const host = at.family === "IPv6" ? `[${at.address}]` : at.address;
    err.write(
      `neox serve: listening on http://${host}:${at.port} (model ${modelName}, ${args.slots} slots, context ${engine.maxT})\n`,
    );
    await stopped;
    await server.close();
    err.write("neox serve: stopped\n");
    return 0;
  } finally {
    engine.dispose();
    model.dispose();
  }
}

/**
 * The tokenizer with a decode that skips ids past its vocabulary: the model's padded rows
 * (padded_vocab_size > vocab_size) name no token, and a model that samples one (an undertrained
 * one can) gets no text for it rather than a failed request; its id is still in `token_ids`.
 */
export function tolerantDecode<T extends { vocabSize: number; decode(ids: readonly number[]): string }>(
  tokenizer: T,
): T {
  const decode = (ids: readonly number[]) => tokenizer.decode(ids.filter((id) => id < tokenizer.vocabSize));
  return new Proxy(tokenizer, {
    get(target, key) {
      if (key === "decode") return decode;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
