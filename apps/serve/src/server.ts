// The HTTP server: routes, the body limit, and a clean stop. Every request runs inside a catch, so
// a request that throws gets a 500 and the server keeps serving. Routes: POST /v1/completions,
// GET /v1/models (also GET /v1/models/{id}); another path is 404, another method 405.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody, sendError, sendJson } from "./body";
import { type CompletionContext, completions } from "./completions";
import { type ModelLimits, parseCompletionRequest, RequestError } from "./validate";

export interface ServeOptions {
  maxBodyBytes: number;
  /** Unsent stream bytes past which a client that stopped reading loses its request. */
  stalledBytes?: number;
}

export class CompletionServer {
  readonly http: Server;
  private readonly stopping = new AbortController();
  /** Requests being handled: a stop waits for them to be answered (aborted ones get 503). */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly ctx: CompletionContext,
    private readonly limits: ModelLimits,
    private readonly opts: ServeOptions,
  ) {
    this.http = createServer((req, res) => {
      const handled = this.route(req, res).catch((err) => {
        sendError(
          res,
          new RequestError(500, `internal error: ${(err as Error)?.message ?? err}`, null, "server_error"),
        );
      });
      this.inFlight.add(handled);
      void handled.finally(() => this.inFlight.delete(handled));
    });
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(port, host, () => {
        this.http.off("error", reject);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  /**
   * Stops accepting, aborts the requests in flight and waits (up to `waitMs`) for them to be
   * answered (503, or their streams ended), then closes every connection.
   */
  async close(waitMs = 3000): Promise<void> {
    this.stopping.abort();
    const closed = new Promise<void>((r) => this.http.close(() => r()));
    this.http.closeIdleConnections();
    // aborted requests are answered after the scheduler's current pass, which may be a long prefill
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((r) => {
        timer = setTimeout(r, waitMs);
      }),
    ]);
    clearTimeout(timer);
    this.http.closeAllConnections();
    await closed;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
    if (path === "/v1/completions") {
      if (req.method !== "POST") return methodNotAllowed(req, res, "POST");
      const text = await readBody(req, res, this.opts.maxBodyBytes);
      if (text === null) return;
      let params: ReturnType<typeof parseCompletionRequest>;
      try {
        params = parseCompletionRequest(text, this.limits);
      } catch (err) {
        if (err instanceof RequestError) return sendError(res, err);
        throw err;
      }
      if (this.stopping.signal.aborted)
        return sendError(res, new RequestError(503, "the server is shutting down", null, "server_error"));
      return completions(this.ctx, params, res, this.stopping.signal, this.opts.stalledBytes);
    }
    if (path === "/v1/models" || path === `/v1/models/${this.ctx.modelName}`) {
      if (req.method !== "GET") return methodNotAllowed(req, res, "GET");
      const card = {
        id: this.ctx.modelName,
        object: "model",
        created: 0,
        owned_by: "neox-ts",
        max_model_len: this.limits.maxT,
      };
      return sendJson(res, 200, path === "/v1/models" ? { object: "list", data: [card] } : card);
    }
    req.resume();
    sendError(
      res,
      new RequestError(
        404,
        `no route ${req.method} ${path || "/"} (try POST /v1/completions)`,
        null,
        "not_found_error",
      ),
    );
  }
}

function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
  req.resume(); // the body, if any, is not read
  res.setHeader("allow", allow);
  sendError(res, new RequestError(405, `method not allowed; use ${allow}`, null, "invalid_request_error"));
}
