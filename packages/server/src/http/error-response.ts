import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import { Code } from "@connectrpc/connect";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import { nonRetryableCodes } from "../errors/index.js";

export type NodeResponse = ServerResponse | Http2ServerResponse;

/**
 * Answers a request that never reached a method (unknown path, wrong HTTP method, bad
 * body, …) with a Connect-style JSON error, so every client sees `{code, message}`.
 */
export function writeConnectError(
  res: NodeResponse,
  code: Code,
  message: string,
  options: { status?: number; headers?: Record<string, string> } = {},
): void {
  const body = JSON.stringify({ code: codeToString(code), message });
  res.writeHead(options.status ?? codeToHttpStatus(code), {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...retryHeaders(code),
    ...options.headers,
  });
  res.end(body);
}

/** `x-should-retry: false` for codes that retrying cannot fix (behaviour.md §1). */
export function retryHeaders(code: Code): Record<string, string> {
  return nonRetryableCodes.has(code) ? { "x-should-retry": "false" } : {};
}

export { Code };
