// POST /v1/completions: the checked request's prompts run as concurrent choices through the shared
// scheduler; the answer is one JSON object, or (stream) server-sent events: `data: {chunk}\n\n` per
// piece of text, a last chunk per choice with its finish_reason, one with the usage, `data: [DONE]`.
// Writes never wait for the socket: the scheduler calls back between forward passes and must not
// stall on one client. A client that stops reading lets its unsent bytes pile up in the response's
// buffer; past `stalledBytes` (default STALLED_BYTES) its request is aborted and the connection dropped, so a stalled client
// costs at most that much memory and never time. A client that disconnects aborts its request.
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { sendError, sendJson } from "./body";
import { type ChoiceContext, type ChoiceResult, type LogprobsEntry, runChoice } from "./choice";
import { type CompletionParams, RequestError } from "./validate";

export const STALLED_BYTES = 8 * 2 ** 20;

export interface CompletionContext extends ChoiceContext {
  modelName: string;
}

export async function completions(
  ctx: CompletionContext,
  params: CompletionParams,
  res: ServerResponse,
  shutdown: AbortSignal,
  stalledBytes = STALLED_BYTES,
): Promise<void> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  shutdown.addEventListener("abort", abort);
  res.on("close", () => {
    if (!res.writableFinished) abort(); // the client went away before the answer was complete
  });
  const id = `cmpl-${randomBytes(12).toString("hex")}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, object: "text_completion", created, model: ctx.modelName };
  // choice i samples with seed + i: the same request gives the same text, streamed or not, and a
  // prompt listed twice gives two samples
  const seed = params.seed ?? randomBytes(4).readUInt32LE(0);

  const write = (chunk: unknown) => {
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    if (res.writableLength > stalledBytes) {
      abort();
      res.destroy();
    }
  };
  if (params.stream)
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });

  try {
    const results = await Promise.all(
      params.prompts.map((prompt, index) =>
        runChoice(
          ctx,
          params,
          prompt,
          (seed + index) >>> 0,
          controller.signal,
          params.stream
            ? (d) =>
                write({
                  ...head,
                  choices: [
                    {
                      index,
                      text: d.text,
                      logprobs: params.logprobs === null ? null : logprobsObject(d.entries),
                      finish_reason: null,
                      token_ids: d.ids,
                    },
                  ],
                })
            : undefined,
        ).then((r) => {
          if (params.stream && !r.aborted)
            write({ ...head, choices: [{ index, text: "", logprobs: null, finish_reason: r.finishReason }] });
          return r;
        }),
      ),
    );
    if (results.some((r) => r.aborted)) {
      if (shutdown.aborted)
        sendError(res, new RequestError(503, "the server is shutting down", null, "server_error"));
      else res.destroy();
      return;
    }
    const usage = usageOf(results);
    if (params.stream) {
      write({ ...head, choices: [], usage });
      res.end("data: [DONE]\n\n");
      return;
    }
    sendJson(res, 200, {
      ...head,
      choices: results.map((r, index) => ({
        index,
        text: r.text,
        logprobs: params.logprobs === null ? null : logprobsObject(r.entries),
        finish_reason: r.finishReason,
        token_ids: r.tokenIds,
      })),
      usage,
    });
  } catch (err) {
    abort(); // the other prompts of this request stop too
    sendError(
      res,
      new RequestError(500, `generation failed: ${(err as Error)?.message ?? err}`, null, "server_error"),
    );
  } finally {
    shutdown.removeEventListener("abort", abort);
  }
}

function usageOf(results: ChoiceResult[]) {
  const prompt = results.reduce((n, r) => n + r.promptTokens, 0);
  const completion = results.reduce((n, r) => n + r.completionTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** OpenAI's logprobs object: parallel lists, one element per token. */
export function logprobsObject(entries: readonly LogprobsEntry[]) {
  return {
    tokens: entries.map((e) => e.token),
    token_logprobs: entries.map((e) => e.logprob),
    top_logprobs: entries.map((e) => e.top),
    text_offset: entries.map((e) => e.offset),
  };
}
