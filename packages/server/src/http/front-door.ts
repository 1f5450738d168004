/**
 * The front door: every HTTP request, whatever its protocol, passes through here.
 *
 *   health probes ─┐
 *   CORS preflight ├─ answered here
 *   unknown path  ─┘
 *   /gitpod.v1.<Service>/<Method>, /api/… ─▶ connect-es universal handler
 *                                           (Connect JSON/binary, gRPC, gRPC-Web)
 *
 * It gives each request an id (`x-request-id` header, log line, RequestInfo), a
 * server-side deadline for unary calls, a body limit, Connect-style errors for requests
 * that never reach a method, `x-should-retry: false` on errors retrying cannot fix, and
 * writes one JSON log line when the response is done.
 */
import { randomUUID } from "node:crypto";
import type { JsonValue } from "@bufbuild/protobuf";
import { ConnectError, createContextValues } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeFromString, codeToString } from "@connectrpc/connect/protocol-connect";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { Logger } from "../logging/index.js";
import { type RequestInfo, requestInfoKey } from "../rpc/index.js";
import { createCors } from "./cors.js";
import { Code as C, isIdempotent, type NodeResponse, retryHeaders, writeConnectError } from "./error-response.js";
import { type NodeRequest, parseJsonBody, prepareJsonRequest, readBody } from "./json-body.js";

export interface FrontDoorOptions {
  handlers: readonly UniversalHandler[];
  log: Logger;
  corsOrigins: readonly string[];
  maxBodyBytes: number;
  requestTimeoutMs: number;
  /** Readiness: database reachable and migrated. */
  ready: () => Promise<{ ok: true } | { ok: false; reason: string }>;
  /** True once shutdown began: keep-alive connections are closed after their response. */
  closing: () => boolean;
}

export type RequestHandler = (req: NodeRequest, res: NodeResponse) => void;

/** Prefix published SDKs put in front of every path (their base URL ends in /api). */
const apiPrefix = "/api";

const jsonContentType = /^application\/json(?:;\s*charset=utf-?8)?$/i;

export function createFrontDoor(options: FrontDoorOptions): RequestHandler {
  const { log } = options;
  const byPath = new Map(options.handlers.map((h) => [h.requestPath, h]));
  const cors = createCors(options.corsOrigins);

  return (req, res) => {
    const started = process.hrtime.bigint();
    const info: RequestInfo = { id: randomUUID() };
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const method = req.method ?? "GET";
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(", ") : v;
    };
    res.setHeader("x-request-id", info.id);
    if (options.closing() && req.httpVersionMajor === 1) res.setHeader("connection", "close");
    const corsDecision = cors(method, header);
    for (const [k, v] of Object.entries(corsDecision.headers)) res.setHeader(k, v);

    const rpcPath = path.startsWith(`${apiPrefix}/`) ? path.slice(apiPrefix.length) : path;
    const handler = byPath.get(rpcPath);
    res.once("close", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const isProbe = path === "/healthz" || path === "/readyz";
      (isProbe ? log.debug : log.info)("request", {
        request_id: info.id,
        http_method: method,
        path,
        procedure: handler ? rpcPath.slice(1) : undefined,
        protocol: handler ? protocolOf(header("content-type"), method) : undefined,
        status: res.statusCode,
        code: info.code === undefined || info.code === "ok" ? info.code : codeToString(info.code),
        subject: info.subject,
        duration_ms: Math.round(durationMs * 100) / 100,
        aborted: !res.writableFinished || undefined,
      });
    });

    if (corsDecision.preflight) {
      res.writeHead(204).end();
      return;
    }
    if (!handler) {
      if (method === "GET" && path === "/healthz") return json(res, 200, { status: "ok" });
      if (method === "GET" && path === "/readyz") return void respondReady(options, res);
      info.code = C.NotFound;
      return writeConnectError(res, C.NotFound, `no such method or path: ${path}`);
    }
    if (!handler.allowedMethods.includes(method)) {
      info.code = C.Unimplemented;
      return writeConnectError(res, C.Unimplemented, `HTTP method ${method} is not supported for ${rpcPath}`, {
        status: 405,
        headers: { allow: handler.allowedMethods.join(", ") },
      });
    }
    const contentType = header("content-type") ?? "";
    if (method === "POST" && !handler.supportedContentType(contentType)) {
      info.code = C.InvalidArgument;
      return writeConnectError(
        res,
        C.InvalidArgument,
        `unsupported content-type "${contentType}"; use application/json, application/proto, application/grpc or application/grpc-web`,
        { status: 415 },
      );
    }
    void serve(handler, req, res, info, options, method === "POST" && jsonContentType.test(contentType)).catch(
      (error: unknown) => {
        const ce = ConnectError.from(error);
        info.code = ce.code;
        if (ce.code === C.Internal) log.error("request failed", { request_id: info.id, error });
        if (!res.headersSent)
          writeConnectError(res, ce.code, ce.code === C.Internal ? "internal error" : ce.rawMessage);
        else res.destroy();
      },
    );
  };
}

async function serve(
  handler: UniversalHandler,
  req: NodeRequest,
  res: NodeResponse,
  info: RequestInfo,
  options: FrontDoorOptions,
  connectJson: boolean,
): Promise<void> {
  const unary = handler.method.methodKind === "unary";
  let parsedJson: JsonValue | undefined;
  if (connectJson && unary && req.headers["content-encoding"] === undefined) {
    parsedJson = parseJsonBody(await readBody(req, options.maxBodyBytes));
    prepareJsonRequest(handler.method.input, parsedJson);
  }
  const contextValues = createContextValues().set(requestInfoKey, info);
  let uReq: UniversalServerRequest = universalRequestFromNodeRequest(req, res, parsedJson, contextValues);
  if (unary) {
    // The default server-side deadline; a shorter client deadline still wins (connect-es
    // applies the client's timeout header to the handler's signal on its own).
    uReq = { ...uReq, signal: withDeadline(uReq.signal, options.requestTimeoutMs, res) };
  }
  const uRes = await handler(uReq);
  await universalResponseToNodeResponse(await finishConnectError(uRes, info, isIdempotent(handler.method)), res);
}

/**
 * `signal`, also aborted with a TimeoutError after `ms`; the timer ends with the response.
 * (What `AbortSignal.any([signal, AbortSignal.timeout(ms)])` does, for a third of the CPU:
 * this runs on every unary request.)
 */
function withDeadline(signal: AbortSignal, ms: number, res: NodeResponse): AbortSignal {
  const linked = new AbortController();
  if (signal.aborted) {
    linked.abort(signal.reason);
    return linked.signal;
  }
  const timer = setTimeout(
    () => linked.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
    ms,
  );
  const done = () => {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  };
  // connect-node aborts the request's signal when the connection closes, also after a
  // complete response; there is nothing left to cancel then.
  const onAbort = () => {
    done();
    if (!res.writableEnded) linked.abort(signal.reason);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  res.once("close", done);
  return linked.signal;
}

/**
 * Finishes a Connect unary error response (a JSON body with a non-200 status):
 * - connect-es reports a request body that does not decode as `internal`, before any
 *   interceptor runs; an `internal` error the RPC layer never saw (`info.code` unset) is
 *   exactly that, and becomes `invalid_argument` (behaviour.md §1);
 * - codes that retrying cannot fix get `x-should-retry: false`, so HTTP SDKs that retry
 *   409 and 5xx do not; so does an outcome not known on a method that is not idempotent;
 *   `unavailable` gets `retry-after`.
 */
async function finishConnectError(
  uRes: UniversalServerResponse,
  info: RequestInfo,
  idempotent: boolean,
): Promise<UniversalServerResponse> {
  const contentType = uRes.header?.get("content-type");
  if (uRes.status === 200 || contentType !== "application/json" || !uRes.body) return uRes;
  const chunks: Uint8Array[] = [];
  for await (const chunk of uRes.body) chunks.push(chunk);
  let bytes = Buffer.concat(chunks);
  let status = uRes.status;
  let error: { code?: string; message?: string };
  try {
    error = JSON.parse(bytes.toString("utf8")) as { code?: string; message?: string };
  } catch {
    return { ...uRes, body: oneChunk(bytes) };
  }
  let code = codeFromString(error.code ?? "");
  if (code === C.Internal && info.code === undefined) {
    code = C.InvalidArgument;
    status = 400;
    const reason = (error.message ?? "").replace(/^parse (binary|json): /, "");
    bytes = Buffer.from(
      JSON.stringify({ code: codeToString(code), message: `the request body could not be decoded: ${reason}` }),
    );
  }
  if (code === undefined) return { ...uRes, body: oneChunk(bytes) };
  info.code ??= code;
  const header = new Headers(uRes.header);
  header.set("content-length", String(bytes.length));
  for (const [k, v] of Object.entries(retryHeaders(code, idempotent))) header.set(k, v);
  return { ...uRes, status, header, body: oneChunk(bytes) };
}

async function respondReady(options: FrontDoorOptions, res: NodeResponse): Promise<void> {
  let result: Awaited<ReturnType<FrontDoorOptions["ready"]>>;
  try {
    result = await options.ready();
  } catch {
    result = { ok: false, reason: "database unreachable" };
  }
  if (result.ok) json(res, 200, { status: "ready" });
  else writeConnectError(res, C.Unavailable, `not ready: ${result.reason}`);
}

function json(res: NodeResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function protocolOf(contentType: string | undefined, method: string): string {
  if (method === "GET") return "connect";
  if (!contentType) return "unknown";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
