/**
 * The Connect transport for Node.js: unary calls over node:http(s) directly, streaming calls
 * through connect-node's transport. Why and what stays connect-es's: docs/decisions.md, "The
 * client's Connect unary calls over node:http".
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { create, type DescMessage, type DescMethodUnary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  appendHeaders,
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { createMethodSerializationLookup, createMethodUrl } from "@connectrpc/connect/protocol";
import {
  errorFromJsonBytes,
  requestHeaderWithCompression,
  trailerDemux,
  validateResponseWithCompression,
} from "@connectrpc/connect/protocol-connect";
import { compressionBrotli, compressionGzip, createConnectTransport } from "@connectrpc/connect-node";

/** What connect-node's client accepts by default, in its order. */
const acceptCompression = [compressionGzip, compressionBrotli];
/** connect-es's default limits (no limit short of 4 GiB). */
const limits = { readMaxBytes: 0xffffffff, writeMaxBytes: 0xffffffff };
/** The reason a call's signal aborts with once the call is over: built once, no stack per call. */
const callEnded = new DOMException("This operation was aborted", "AbortError");

type Serialization = ReturnType<typeof createMethodSerializationLookup>;
type UnaryNext = (request: UnaryRequest) => Promise<UnaryResponse>;
type AnyNext = Parameters<Interceptor>[0];

export function createNodeConnectTransport(o: {
  baseUrl: string;
  binary: boolean;
  interceptors: Interceptor[];
}): Transport {
  const streams = createConnectTransport({
    baseUrl: o.baseUrl,
    httpVersion: "1.1",
    useBinaryFormat: o.binary,
    interceptors: o.interceptors,
  });
  const secure = /^https:/i.test(o.baseUrl);
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  const serializations = new WeakMap<DescMethodUnary, Serialization>();
  const outermostLast = [...o.interceptors].reverse();
  const serializationOf = (method: DescMethodUnary): Serialization => {
    let serialization = serializations.get(method);
    if (!serialization) {
      serialization = createMethodSerializationLookup(method, undefined, undefined, limits);
      serializations.set(method, serialization);
    }
    return serialization;
  };

  async function unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: HeadersInit | undefined,
    input: MessageInitShape<I>,
    contextValues?: ContextValues,
  ): Promise<UnaryResponse<I, O>> {
    const serialization = serializationOf(method as DescMethodUnary);
    const timeout = timeoutMs !== undefined && timeoutMs <= 0 ? undefined : timeoutMs;
    const call = callSignal(signal, timeout);
    const innermost: UnaryNext = async (req) => {
      const body = serialization.getI(o.binary).serialize(req.message);
      const res = await exchange(send, agent, req, body);
      const { compression, isUnaryError, unaryError } = validateResponseWithCompression(
        method.methodKind,
        acceptCompression,
        o.binary,
        res.status,
        res.header,
      );
      const [responseHeader, trailer] = trailerDemux(res.header);
      const responseBody = compression ? await compression.decompress(res.body, limits.readMaxBytes) : res.body;
      if (isUnaryError) {
        throw errorFromJsonBytes(responseBody, appendHeaders(responseHeader, trailer), unaryError);
      }
      return {
        stream: false,
        service: req.service,
        method: req.method,
        header: responseHeader,
        message: serialization.getO(o.binary).parse(responseBody),
        trailer,
      };
    };
    let next = innermost;
    // An interceptor takes any call; this chain only ever carries unary ones (runUnaryCall's cast).
    for (const interceptor of outermostLast) next = interceptor(next as unknown as AnyNext) as unknown as UnaryNext;
    try {
      const response = await next({
        stream: false,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: createMethodUrl(o.baseUrl, method),
        header: requestHeaderWithCompression(
          method.methodKind,
          o.binary,
          timeout,
          header,
          acceptCompression,
          null,
          true,
        ),
        contextValues: contextValues ?? createContextValues(),
        message: create(method.input, input),
        signal: call.signal,
      });
      call.end();
      return response as UnaryResponse<I, O>;
    } catch (error) {
      // As connect-es: a deadline that passed wins over the error it caused.
      const reason = ConnectError.from(call.deadlinePassed() ? call.signal.reason : error);
      call.end(reason);
      throw reason;
    }
  }

  return { unary, stream: streams.stream };
}

/**
 * The call's signal, as connect-es's runUnaryCall makes it: aborted at the deadline
 * (deadline_exceeded), with the caller's reason when the caller's signal aborts, and by
 * end() once the call is over.
 */
function callSignal(
  caller: AbortSignal | undefined,
  timeoutMs: number | undefined,
): { signal: AbortSignal; deadlinePassed(): boolean; end(reason?: ConnectError): void } {
  const controller = new AbortController();
  let passed = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          passed = true;
          controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
        }, timeoutMs);
  const onCallerAbort = () => controller.abort(caller?.reason);
  if (caller?.aborted) onCallerAbort();
  else caller?.addEventListener("abort", onCallerAbort);
  return {
    signal: controller.signal,
    deadlinePassed: () => passed,
    end(reason) {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onCallerAbort);
      controller.abort(reason ?? callEnded);
    },
  };
}

/**
 * One POST, its answer read whole. Once the signal aborts it rejects with the signal's
 * reason, as connect-node's client does (an Error that is not a ConnectError: internal).
 */
function exchange(
  send: typeof httpRequest,
  agent: HttpAgent,
  req: UnaryRequest,
  body: Uint8Array,
): Promise<{ status: number; header: Headers; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const { signal } = req;
    if (signal.aborted) return reject(connectErrorFromNode(signal.reason));
    const headers: Record<string, string> = { "content-length": String(body.byteLength) };
    req.header.forEach((value, key) => {
      headers[key] = value;
    });
    const request = send(req.url, { method: req.requestMethod, agent, headers });
    const fail = (error: unknown) => {
      signal.removeEventListener("abort", onAbort);
      reject(connectErrorFromNode(signal.aborted ? signal.reason : error));
    };
    const onAbort = () => request.destroy();
    signal.addEventListener("abort", onAbort);
    request.on("error", fail);
    request.on("response", (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", fail);
      res.on("close", () => {
        if (!res.complete) fail(new ConnectError("the response was cut off", Code.Aborted));
      });
      res.on("end", () => {
        signal.removeEventListener("abort", onAbort);
        resolve({ status: res.statusCode ?? 0, header: headersOf(res), body: Buffer.concat(chunks) });
      });
    });
    request.end(body);
  });
}

function headersOf(res: IncomingMessage): Headers {
  const header = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) header.append(raw[i] as string, raw[i + 1] as string);
  return header;
}

/** connect-node's codes for what node:http reports (its connectErrorFromNodeReason). */
function connectErrorFromNode(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const connectCode =
    code === "ETIMEDOUT" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ECONNREFUSED"
      ? Code.Unavailable
      : code === "ECONNRESET" || code === "ERR_STREAM_DESTROYED"
        ? Code.Aborted
        : Code.Internal;
  const connectError = ConnectError.from(error, connectCode);
  if (connectError !== error) connectError.cause = error;
  return connectError;
}
