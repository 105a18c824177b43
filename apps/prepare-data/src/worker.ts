// Tokenizer worker thread: builds its own tokenizer (as GPT-NeoX's Pool initializer does), then
// tokenizes each batch it is sent and transfers the packed ids back.

import { parentPort, workerData } from "node:worker_threads";
import { bestFittingDtype } from "@neox/data-mmap";
import { loadTokenizer } from "@neox/tokenize";
import type { BatchMessage, BatchResult, WorkerConfig, WorkerReply } from "./messages";
import { tokenizeBatch } from "./tokenize-batch";

const port = parentPort;
if (!port) throw new Error("prepare-data worker: started outside a worker thread");
const config = workerData as WorkerConfig;

const reply = (msg: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

try {
  const tk = await loadTokenizer(config);
  // Ids are packed as the .bin will store them: uint16 when the vocabulary allows, else int32.
  const opts = { ...config, wide: bestFittingDtype(tk.vocabSize) !== "uint16" };
  reply({ kind: "ready", vocabSize: tk.vocabSize, eod: tk.eod, engine: tk.engine });
  port.on("message", (msg: BatchMessage) => {
    let result: BatchResult;
    try {
      result = tokenizeBatch(tk, msg, opts);
    } catch (err) {
      reply({ kind: "error", seq: msg.seq, ...describe(err) });
      return;
    }
    const transfer = result.keys.flatMap((k) => [
      k.tokens.buffer as ArrayBuffer,
      k.sizes.buffer as ArrayBuffer,
    ]);
    reply({ kind: "result", result }, transfer);
  });
} catch (err) {
  reply({ kind: "error", seq: -1, ...describe(err) });
}

/** The message for the user and the stack for NEOX_DEBUG=1, sent separately (see worker-pool.ts). */
function describe(err: unknown): { message: string; stack: string | undefined } {
  return err instanceof Error
    ? { message: err.message, stack: err.stack }
    : { message: String(err), stack: undefined };
}
