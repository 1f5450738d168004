/** What the lean RPC paths read off Node's request as connect-node would (rpc/lean-unary.ts, relay/watch-handler.ts). */
import type { NodeRequest } from "./json-body.js";

/** A request header as one string (repeated values joined, as `Headers.get` does), or undefined. */
export function headerValue(req: NodeRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The request's URL as connect-node builds it (the error log names the procedure by it). */
export function requestUrl(req: NodeRequest): string {
  // The socket is let go once the request has been read; the stream's own says the same.
  const socket: object | null = req.socket ?? ("stream" in req ? req.stream.session?.socket : null) ?? null;
  const encrypted = socket !== null && "encrypted" in socket && socket.encrypted === true;
  const authority = "authority" in req ? req.authority : req.headers.host;
  return new URL(req.url ?? "", `${encrypted ? "https" : "http"}://${authority ?? "localhost"}`).toString();
}
