// Reading a request body with a size limit. The limit is checked as bytes arrive, so an oversized
// upload gets its 413 while the client is still sending (a declared Content-Length over the limit
// gets it before any byte is read); the connection is then closed, never drained.
import type { IncomingMessage, ServerResponse } from "node:http";
import { RequestError } from "./validate";

/** The body as UTF-8 text, or null when the request was answered with 413 (or went away). */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string | null> {
  return new Promise((resolve) => {
    const tooLarge = () => {
      req.removeAllListeners("data");
      req.pause();
      sendError(
        res,
        new RequestError(413, `the request body is larger than the server's limit of ${limit} bytes`, null),
        { close: true },
      );
      resolve(null);
    };
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return tooLarge();
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(null));
    req.on("close", () => {
      if (!req.complete) resolve(null); // the client went away mid-upload
    });
  });
}

/** OpenAI's error body with the error's status; `close` ends the connection after it. */
export function sendError(res: ServerResponse, err: RequestError, opts: { close?: boolean } = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(err.body());
  res.writeHead(err.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...(opts.close ? { connection: "close" } : {}),
  });
  res.end(body);
  if (opts.close) res.on("finish", () => res.socket?.destroySoon());
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
