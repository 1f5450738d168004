/**
 * The front door: every HTTP request, whatever its protocol, passes through here.
 *
 *   health probes ─┐
 *   CORS preflight ├─ answered here
 *   pages          │  (browser-facing endpoints: PageRoute, pages.ts)
 *   unknown path  ─┘
 *   /gitpod.v1.<Service>/<Method>, /api/… ─▶ connect-es universal handler
 *                                           (Connect JSON/binary, gRPC, gRPC-Web)
 *   …/RunnerInteractionService/WatchRequests, binary and uncompressed
 *                                         ─▶ a lean route (relay/watch-handler.ts)
 *   a unary call, binary gRPC or Connect POST, uncompressed
 *                                         ─▶ connect-es's interceptors and method without
 *                                            its per-call machinery (rpc/lean-unary.ts)
 *
 * It gives each request an id (`x-request-id` header, log line, RequestInfo), a
 * server-side deadline for unary calls, a deadline for the request body, a body limit,
 * Connect-style errors for requests that never reach a method, `x-should-retry: false` on
 * errors retrying cannot fix, and writes one JSON log line when the response is done.
 * (Connection-level matters, keep-alive and shutdown included, are http/listener.ts's.)
 */
import { constants as http2 } from "node:http2";
import { ConnectError, createContextValues } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import {
  codeFromString,
  codeToString,
  parseTimeout as parseConnectTimeout,
} from "@connectrpc/connect/protocol-connect";
import { parseTimeout as parseGrpcTimeout } from "@connectrpc/connect/protocol-grpc";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { Health } from "@runnerplane/api/grpc/health/v1/health_pb";
import { heldRandomUuid } from "../crypto/held-id.js";
import type { Readiness, ReadinessResult } from "../db/readiness.js";
import type { Logger } from "../logging/index.js";
import type { MetricsEndpoint, RequestObserver, RpcProtocol } from "../observability/index.js";
import { metricsPath } from "../observability/metrics-endpoint.js";
import type { LeanRoute } from "../relay/watch-handler.js";
import { type RequestInfo, requestInfoKey } from "../rpc/index.js";
import type { LeanUnary } from "../rpc/lean-unary.js";
import { clientAddressOf } from "./client-address.js";
import { createCors } from "./cors.js";
import {
  adviseOnError,
  Code as C,
  isIdempotent,
  type NodeResponse,
  writeConnectError,
  writeMethodNotAllowed,
  writeProtocolError,
  writeUnimplemented,
} from "./error-response.js";
import type { NodeRequest } from "./json-body.js";
import { envelopedJsonContentType, prepareEnvelopedJson, prepareGetUrl, readUnaryJson } from "./json-requests.js";
import { headerValue } from "./node-request.js";

export interface FrontDoorOptions {
  handlers: readonly UniversalHandler[];
  log: Logger;
  corsOrigins: readonly string[];
  /** Request headers allowed beyond the standard ones (http/cors.ts). */
  corsAllowedHeaders: readonly string[];
  maxBodyBytes: number;
  requestTimeoutMs: number;
  /** Readiness: database reachable and migrated. */
  ready: Readiness;
  /** Metrics and tracing of each request (observability/); absent: none at all. */
  observer?: RequestObserver | undefined;
  /** `GET /metrics` on this port, when a metrics token is configured (observability/metrics-endpoint.ts). */
  metrics?: MetricsEndpoint | undefined;
  /** Endpoints that are not RPCs (sign-in, OAuth, documents), first match wins (pages.ts). */
  pages?: readonly PageRoute[] | undefined;
  /**
   * RPC paths served outside connect-es for the requests they take (relay/watch-handler.ts:
   * WatchRequests); what they decline goes to connect-es.
   */
  lean?: readonly LeanRoute[] | undefined;
  /** Unary calls served beside connect-es's per-call machinery (rpc/lean-unary.ts). */
  leanUnary?: LeanUnary | undefined;
  /** Take the client's address from X-Forwarded-For (RUNNERPLANE_TRUST_PROXY; http/client-address.ts). */
  trustProxy?: boolean | undefined;
}

/** A browser-facing endpoint: answers requests whose path is `path` or, with `prefix`, starts with it. */
export interface PageRoute {
  path: string;
  prefix?: boolean;
  /** Narrows the match further (method, headers); a request it declines goes on as if unmatched. */
  accepts?(req: NodeRequest, path: string): boolean;
  handle(req: NodeRequest, res: NodeResponse, info: RequestInfo): void | Promise<void>;
}

export type RequestHandler = (req: NodeRequest, res: NodeResponse) => void;

/** Prefix published SDKs put in front of every path (their base URL ends in /api). */
const apiPrefix = "/api";

const jsonContentType = /^application\/json(?:;\s*charset=utf-?8)?$/i;

/** `/<package>.<Service>/<Method>`: the path of an RPC, served here or not. */
const rpcPathShape = /^\/[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\/[A-Za-z_]\w*$/;

export function createFrontDoor(options: FrontDoorOptions): RequestHandler {
  const { log } = options;
  const byPath = new Map(options.handlers.map((h) => [h.requestPath, h]));
  const leanByPath = new Map((options.lean ?? []).map((r) => [r.path, r]));
  const cors = createCors(options.corsOrigins, options.corsAllowedHeaders);

  return (req, res) => {
    const started = process.hrtime.bigint();
    const info: RequestInfo = {
      // Kept for the response's life, which for a runner's stream is hours.
      id: heldRandomUuid(),
      clientAddress: clientAddressOf(req, options.trustProxy ?? false),
      userAgent: req.headers["user-agent"],
    };
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const method = req.method ?? "GET";
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(", ") : v;
    };
    res.setHeader("x-request-id", info.id);
    const corsDecision = cors(method, header);
    for (const [k, v] of Object.entries(corsDecision.headers)) res.setHeader(k, v);

    const rpcPath = path.startsWith(`${apiPrefix}/`) ? path.slice(apiPrefix.length) : path;
    const handler = byPath.get(rpcPath);
    const metrics = path === metricsPath ? options.metrics : undefined;
    const isProbe = path === "/healthz" || path === "/readyz" || metrics !== undefined;
    const protocol = protocolOf(header("content-type"), method);
    const observed =
      corsDecision.preflight || isProbe
        ? undefined
        : options.observer?.start(rpcPath, handler?.method, protocol, req.headers);
    res.once("close", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      observed?.end(info.code, !res.writableFinished, durationMs / 1000);
      // Probes come every few seconds: their lines are debug, gRPC health checks' too.
      (isProbe || handler?.method.parent.typeName === Health.typeName ? log.debug : log.info)("request", {
        request_id: info.id,
        http_method: method,
        path,
        procedure: handler ? rpcPath.slice(1) : undefined,
        protocol: handler ? protocol : undefined,
        status: res.statusCode,
        code: info.code === undefined || info.code === "ok" ? info.code : codeToString(info.code),
        subject: info.subject,
        trace_id: observed?.traceId,
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
      if (metrics) return metrics(req, res);
      const page = options.pages?.find(
        (p) => (p.prefix ? path.startsWith(p.path) : path === p.path) && (p.accepts?.(req, path) ?? true),
      );
      if (page) return void servePage(page, req, res, info, log);
      if (rpcPathShape.test(rpcPath)) {
        // Names an RPC, just not one served here: "not available", not "no such resource".
        info.code = C.Unimplemented;
        return writeUnimplemented(res, header("content-type") ?? "", rpcPath.slice(1));
      }
      info.code = C.NotFound;
      return writeConnectError(res, C.NotFound, `no such method or path: ${path}`);
    }
    if (!handler.allowedMethods.includes(method)) {
      info.code = C.Unimplemented;
      return writeMethodNotAllowed(res, method, rpcPath, handler.allowedMethods.join(", "));
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
    const connectJson = method === "POST" && jsonContentType.test(contentType);
    const lean = leanByPath.get(rpcPath)?.open(req);
    const run = () =>
      lean ? serveLean(lean, handler, req, res, info, options) : serve(handler, req, res, info, options, connectJson);
    const served = observed ? observed.run(run) : run();
    void served.catch((error: unknown) => {
      // Answered already: the body missed its deadline, and reading it then failed.
      if (res.writableEnded) return;
      const ce = ConnectError.from(error);
      info.code = ce.code;
      if (ce.code === C.Internal) log.error("request failed", { request_id: info.id, error });
      if (!res.headersSent) writeConnectError(res, ce.code, ce.code === C.Internal ? "internal error" : ce.rawMessage);
      else res.destroy();
    });
  };
}

async function servePage(page: PageRoute, req: NodeRequest, res: NodeResponse, info: RequestInfo, log: Logger) {
  try {
    await page.handle(req, res, info);
  } catch (error) {
    log.error("request failed", { request_id: info.id, error });
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("internal error");
    } else res.destroy();
  }
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
  // Started before anything reads the body: connect-es reads all of it before any
  // interceptor runs, so nothing later could stop a body that never arrives.
  const deadline = startDeadline(req, res, info, deadlineMs(req, options.requestTimeoutMs), unary);
  const input = handler.method.input;
  const limit = options.maxBodyBytes;
  // Every JSON request is prepared the same way (http/json-requests.ts).
  const parsedJson = connectJson && unary ? await readUnaryJson(req, input, limit) : undefined;
  const contextValues = createContextValues().set(requestInfoKey, info);
  const lean =
    unary && req.method === "POST"
      ? options.leanUnary?.route(handler.method, (name) => headerValue(req, name))
      : undefined;
  if (lean) {
    return lean({
      req,
      res,
      contextValues,
      json: parsedJson,
      controller: deadline.call(),
      fallback: async (body, signal) => {
        const uReq = { ...universalRequestFromNodeRequest(req, res, undefined, contextValues), body, signal };
        const uRes = await handler(uReq);
        if (res.writableEnded) return; // the body missed its deadline and was answered
        await universalResponseToNodeResponse(await finishConnectError(uRes, info, isIdempotent(handler.method)), res);
      },
    });
  }
  let uReq: UniversalServerRequest = universalRequestFromNodeRequest(req, res, parsedJson, contextValues);
  if (req.method === "GET") uReq = { ...uReq, url: await prepareGetUrl(uReq.url, input, limit) };
  else if (envelopedJsonContentType.test(String(req.headers["content-type"] ?? ""))) {
    const encoding = req.headers["connect-content-encoding"] ?? req.headers["grpc-encoding"];
    const body = uReq.body as AsyncIterable<Uint8Array>;
    uReq = {
      ...uReq,
      body: prepareEnvelopedJson(body, input, typeof encoding === "string" ? encoding : undefined, limit),
    };
  }
  if (unary) uReq = { ...uReq, signal: deadline.link(uReq.signal) };
  const uRes = await handler(uReq);
  if (res.writableEnded) return; // the body missed its deadline and was answered
  await universalResponseToNodeResponse(await finishConnectError(uRes, info, isIdempotent(handler.method)), res);
}

/** A request a lean route took: the same body deadline as connect-es's streams get, then the route. */
async function serveLean(
  lean: (res: NodeResponse, info: RequestInfo) => Promise<void>,
  handler: UniversalHandler,
  req: NodeRequest,
  res: NodeResponse,
  info: RequestInfo,
  options: FrontDoorOptions,
): Promise<void> {
  startDeadline(req, res, info, deadlineMs(req, options.requestTimeoutMs), handler.method.methodKind === "unary");
  await lean(res, info);
}

/**
 * The request's deadline: the server's default, or the client's shorter one
 * (`connect-timeout-ms`, `grpc-timeout`).
 */
function deadlineMs(req: NodeRequest, serverMs: number): number {
  const connect = req.headers["connect-timeout-ms"];
  const grpc = req.headers["grpc-timeout"];
  if (connect === undefined && grpc === undefined) return serverMs;
  // A malformed value is left to connect-es, which answers it.
  const client =
    typeof connect === "string"
      ? parseConnectTimeout(connect, serverMs).timeoutMs
      : parseGrpcTimeout(typeof grpc === "string" ? grpc : null, serverMs).timeoutMs;
  return client !== undefined && client < serverMs ? client : serverMs;
}

/** The request's deadline, as `startDeadline` hands it to the call. */
interface RequestDeadline {
  /** connect-es's path: the handler's `signal`, also aborted at the deadline. */
  link(signal: AbortSignal): AbortSignal;
  /**
   * The lean unary path: the call's one controller. It aborts at the deadline and when the
   * client goes away before the answer; the path aborts it itself once it has the answer.
   */
  call(): AbortController;
}

/** Why a call's signal aborts when its client goes away (connect-node's says the same: canceled). */
const hungUp = new ConnectError("the request was canceled", C.Canceled);

/**
 * One timer for the request's deadline, bounding two things:
 * - a unary call: its signal (`link` or `call`) is also aborted with a TimeoutError at the
 *   deadline (what `AbortSignal.any([signal, AbortSignal.timeout(ms)])` does, for a third
 *   of the CPU: this runs on every unary request). connect-es applies a client deadline to
 *   the handler's signal as well;
 * - the request body (behaviour.md §1): one that has not fully arrived by the deadline is
 *   abandoned (`abandonBody`). The handler's signal is aborted first, so no method runs on
 *   what did arrive.
 * The timer ends with the response; for a stream, which has no default deadline, already
 * once its request body has arrived.
 */
function startDeadline(
  req: NodeRequest,
  res: NodeResponse,
  info: RequestInfo,
  ms: number,
  unary: boolean,
): RequestDeadline {
  // Only a unary call links its signal; a stream, held for hours, keeps no controller.
  const linked = unary ? new AbortController() : undefined;
  let upstream: AbortSignal | undefined;
  const timer = setTimeout(() => {
    linked?.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    if (!bodyArrived(req)) abandonBody(req, res, info);
  }, ms);
  const done = () => {
    clearTimeout(timer);
    upstream?.removeEventListener("abort", onAbort);
  };
  // connect-node aborts the request's signal when the connection closes, also after a
  // complete response; there is nothing left to cancel then.
  const onAbort = () => {
    done();
    if (!res.writableEnded) linked?.abort(upstream?.reason);
  };
  // The client went away before the answer. Watched here, not only through connect-node's
  // signal: this listener runs first and stops following that signal (`done`), and over
  // HTTP/1.1 connect-node aborts it only from a later listener of the same event.
  res.once("close", () => {
    done();
    if (!res.writableEnded) linked?.abort(upstream?.aborted ? upstream.reason : hungUp);
  });
  if (!unary) req.once("end", done);
  const unaryOnly = (): AbortController => {
    if (!linked) throw new Error("only a unary call's signal is linked to its deadline");
    return linked;
  };
  return {
    link(signal) {
      const controller = unaryOnly();
      if (signal.aborted) controller.abort(signal.reason);
      else {
        upstream = signal;
        signal.addEventListener("abort", onAbort, { once: true });
      }
      return controller.signal;
    },
    call: unaryOnly,
  };
}

/** Whether the whole request body is in (HTTP/2: the client ended its side of the stream). */
function bodyArrived(req: NodeRequest): boolean {
  return req.complete || ("stream" in req && req.stream.state.remoteClose === 1);
}

/**
 * A request body that missed its deadline: `deadline_exceeded` if nothing was written
 * yet, then the connection closes (HTTP/1.1: `Connection: close`, Node destroys the socket
 * after the response) or the stream is reset (HTTP/2; the session stays).
 */
function abandonBody(req: NodeRequest, res: NodeResponse, info: RequestInfo): void {
  info.code = C.DeadlineExceeded;
  const stream = "stream" in req ? req.stream : undefined;
  if (res.headersSent) {
    if (stream) stream.close(http2.NGHTTP2_CANCEL);
    else req.socket.destroy();
    return;
  }
  // After a complete response, RST_STREAM with NO_ERROR asks the client to stop sending
  // (RFC 9113 §8.1); Node would otherwise wait for the rest of the body.
  if (stream) stream.once("finish", () => stream.close(http2.NGHTTP2_NO_ERROR));
  else res.setHeader("connection", "close");
  writeProtocolError(
    res,
    String(req.headers["content-type"] ?? ""),
    C.DeadlineExceeded,
    "the request body did not arrive before the deadline",
  );
}

/**
 * Finishes a Connect unary error response (a JSON body with a non-200 status): codes that
 * retrying cannot fix get `x-should-retry: false`, so HTTP SDKs that retry 409 and 5xx do
 * not; so does an outcome not known on a method that is not idempotent; `unavailable` gets
 * `retry-after`. (A request body that does not decode is `invalid_argument` on every
 * protocol by the connect-es patch, `patches/@connectrpc__connect@2.1.1.patch`.)
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
  const bytes = Buffer.concat(chunks);
  let error: { code?: string };
  try {
    error = JSON.parse(bytes.toString("utf8")) as { code?: string };
  } catch {
    return { ...uRes, body: oneChunk(bytes) };
  }
  const code = codeFromString(error.code ?? "");
  if (code === undefined) return { ...uRes, body: oneChunk(bytes) };
  const header = new Headers(uRes.header);
  adviseOnError(header, info, code, idempotent);
  return { ...uRes, header, body: oneChunk(bytes) };
}

async function respondReady(options: FrontDoorOptions, res: NodeResponse): Promise<void> {
  let result: ReadinessResult;
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

function protocolOf(contentType: string | undefined, method: string): RpcProtocol {
  if (method === "GET") return "connect";
  if (!contentType) return "unknown";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
