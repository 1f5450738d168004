/**
 * What the lean RPC paths (rpc/lean-unary.ts, relay/watch-handler.ts) read off Node's
 * request and hand to its response, as connect-node would.
 */
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
  const base = `${encrypted ? "https" : "http"}://${authority ?? "localhost"}`;
  const path = req.url ?? "";
  const key = `${base} ${path}`;
  let url = builtUrls.get(key);
  if (url === undefined) {
    url = new URL(path, base).toString();
    if (key.length <= builtUrlKeyMax) {
      if (builtUrls.size >= builtUrlsMax) builtUrls.clear();
      builtUrls.set(key, url);
    }
  }
  return url;
}

/**
 * URLs already built, by origin and path: nearly every call names one of a few, and parsing
 * one costs more than the rest of this module per call. Bounded in entries and key length
 * (both come from the client); cleared when full.
 */
const builtUrls = new Map<string, string>();
const builtUrlsMax = 1_000;
const builtUrlKeyMax = 300;

/** Whether an encoding header names a compression (connect-es decompresses those; the lean paths do not). */
export function encoded(encoding: string | string[] | undefined): boolean {
  return encoding !== undefined && encoding !== "identity";
}

/** The request's headers as connect-node gives them to connect-es (pseudo-headers left out). */
export function webHeaders(req: NodeRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.append(name, String(value));
  }
  return headers;
}

/** Headers as Node's response takes them. */
export function nodeHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
