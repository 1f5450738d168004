import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
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

/**
 * Answers a request that never reached a method in the shape of the protocol the client
 * speaks: gRPC and gRPC-Web clients read a trailers-only response (HTTP 200, `grpc-status`,
 * their content type, no body); Connect and plain HTTP clients get a Connect JSON error
 * (`status` overrides the code's HTTP status).
 */
export function writeProtocolError(
  res: NodeResponse,
  contentType: string,
  code: Code,
  message: string,
  options: { status?: number } = {},
): void {
  if (/^application\/grpc/i.test(contentType)) {
    res.writeHead(200, {
      "content-type": contentType,
      "grpc-status": String(code),
      "grpc-message": encodeURIComponent(message),
    });
    res.end();
    return;
  }
  writeConnectError(res, code, message, options);
}

/**
 * A path served, but not for this HTTP method: `unimplemented`, HTTP 405, with the methods
 * that are allowed in `allow` (e.g. "GET, HEAD").
 */
export function writeMethodNotAllowed(
  res: NodeResponse,
  method: string | undefined,
  path: string,
  allow: string,
): void {
  writeConnectError(res, Code.Unimplemented, `HTTP method ${method} is not supported for ${path}`, {
    status: 405,
    headers: { allow },
  });
}

/** An RPC this server does not serve: `unimplemented`, HTTP 404 for Connect (behaviour.md §1). */
export function writeUnimplemented(res: NodeResponse, contentType: string, procedure: string): void {
  writeProtocolError(res, contentType, Code.Unimplemented, `${procedure} is not a method this server serves`, {
    status: 404,
  });
}

/**
 * Retry advice for an error (behaviour.md §1, §9): `x-should-retry: false` for codes that
 * retrying cannot fix, and for "outcome not known" (`deadline_exceeded`, `unknown`) on a
 * method that is not idempotent, so SDKs do not blindly repeat a create that may have
 * happened; `retry-after` for `unavailable` and `resource_exhausted`.
 */
export function retryHeaders(code: Code, idempotent = true): Record<string, string> {
  if (nonRetryableCodes.has(code)) return { "x-should-retry": "false" };
  if (!idempotent && (code === Code.DeadlineExceeded || code === Code.Unknown)) return { "x-should-retry": "false" };
  if (code === Code.Unavailable || code === Code.ResourceExhausted) return { "retry-after": "1" };
  return {};
}

/**
 * What a Connect unary error answer gets on its way out, whichever path produced it (the
 * front door's finishing of connect-es's answer, rpc/lean-unary.ts): the code in the request
 * log line unless an interceptor recorded it, and the retry advice in the headers.
 */
export function adviseOnError(
  header: Headers,
  info: { code?: Code | "ok" } | undefined,
  code: Code,
  idempotent: boolean,
): void {
  if (info) info.code ??= code;
  for (const [k, v] of Object.entries(retryHeaders(code, idempotent))) header.set(k, v);
}

/** Whether repeating the method is safe: declared NO_SIDE_EFFECTS or IDEMPOTENT in the .proto. */
export function isIdempotent(method: DescMethod): boolean {
  return method.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN;
}

export { Code };
