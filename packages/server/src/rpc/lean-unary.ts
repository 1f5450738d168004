/**
 * Unary calls without connect-es's and connect-node's per-call machinery (docs/decisions.md,
 * "Unary calls beside connect-es's pipeline"). connect-es serves a gRPC unary call the way it
 * serves a stream: the request body through four chained async generators (split,
 * decompress, parse, exactly-one), the implementation through a fifth, the answer through
 * four more (serialize, compress, join, catch); every call, gRPC or Connect, also passes
 * connect-node's adapters from Node's request to connect-es's universal one and back. On
 * this machine that is most of what a bare connect-es call costs (`dist/unary-floor.js`),
 * and every connected runner's heartbeat is such a call.
 *
 * Here the body is read whole from Node's request (a Connect JSON body arrives already read
 * and prepared by the front door), and when it is what nearly every client sends — binary
 * gRPC with one uncompressed envelope within the size limit, or an uncompressed Connect
 * unary POST — it is parsed as connect-es parses it and handed to connect-es's own
 * `invokeUnaryImplementation` with the router's interceptors, in a context holding what
 * connect-es's `createHandlerContext` gives a handler (headers, URL and signal as
 * connect-node would give them), on one signal for the whole call. The answer is written
 * as connect-node writes connect-es's: gRPC's head, message and trailers; Connect's
 * status, headers (trailers folded in) and body, with the front door's retry advice on
 * errors. Anything else — an empty or two-message gRPC body, a compressed or truncated
 * envelope, a body over the limit or broken off, a content-length the body does not keep —
 * is replayed, byte for byte, into connect-es's own handler, so every protocol error is
 * still connect-es's.
 * `rpc/lean-unary-grpc.test.ts` and `rpc/lean-unary-connect.test.ts` compare both paths on
 * the wire.
 */
import type { Writable } from "node:stream";
import { type DescMethod, fromJson, type JsonValue } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
} from "@connectrpc/connect";
import {
  compressionNegotiate,
  createAsyncIterable,
  createMethodSerializationLookup,
  encodeEnvelope,
  envelopeCompress,
  invokeUnaryImplementation,
  type UniversalHandlerOptions,
  validateUniversalHandlerOptions,
} from "@connectrpc/connect/protocol";
import {
  codeToHttpStatus,
  contentTypeUnaryJson,
  contentTypeUnaryProto,
  errorToJsonBytes,
  parseContentType as parseConnectContentType,
  parseTimeout as parseConnectTimeout,
  trailerMux,
} from "@connectrpc/connect/protocol-connect";
import {
  contentTypeProto as grpcContentTypeProto,
  grpcStatusOk,
  parseContentType as parseGrpcContentType,
  parseTimeout as parseGrpcTimeout,
  setTrailerStatus,
} from "@connectrpc/connect/protocol-grpc";
import { adviseOnError, isIdempotent, type NodeResponse } from "../http/error-response.js";
import type { NodeRequest } from "../http/json-body.js";
import { encoded, nodeHeaders, requestUrl, webHeaders } from "../http/node-request.js";
import { requestInfoKey } from "./request-info.js";
import { signalEndsWithAnswerKey } from "./request-scope-interceptor.js";

export type LeanUnaryProtocol = "grpc" | "connect";

/** One call handed to the path by the front door. */
export interface LeanUnaryCall {
  req: NodeRequest;
  res: NodeResponse;
  contextValues: ContextValues;
  /** A Connect JSON body, already read and prepared (http/json-requests.ts). */
  json: JsonValue | undefined;
  /**
   * The call's one controller (http/front-door.ts): aborted at the request's deadline (the
   * server's, or the client's shorter one) and when the client goes away before the answer;
   * the path aborts it once it has the answer, as connect-es aborts a handler's context.
   */
  controller: AbortController;
  /** connect-es's own handler, with this body and signal, written as the front door writes it. */
  fallback(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<void>;
}

export type LeanUnaryServe = (call: LeanUnaryCall) => Promise<void>;

export interface LeanUnary {
  /**
   * The path for this request, or undefined: only unary methods the router serves, called
   * with binary gRPC or as a Connect unary POST, uncompressed, with a well-formed (or no)
   * timeout.
   */
  route(method: DescMethod, header: (name: string) => string | undefined): LeanUnaryServe | undefined;
  /** The router, recording each service's implementation as it is registered. */
  recording(router: ConnectRouter): ConnectRouter;
}

type UnarySpec = MethodImplSpec & { kind: "unary" };

/**
 * Why a call's context ends once it is answered, one object for every call: `abort()`
 * without a reason builds a new DOMException, stack trace and all (connect-es passes none).
 */
const answered = new ConnectError("the call was answered", Code.Canceled);

export function createLeanUnary(
  options: Partial<
    Pick<UniversalHandlerOptions, "readMaxBytes" | "acceptCompression" | "compressMinBytes" | "jsonOptions">
  > & {
    interceptors: Interceptor[];
    /** Tests: told of every request this path took, and whether it replayed it into connect-es. */
    served?: ((protocol: LeanUnaryProtocol, how: "parsed" | "replayed") => void) | undefined;
  },
): LeanUnary {
  const served = options.served;
  const opt = validateUniversalHandlerOptions(options);
  const specs = new Map<DescMethod, { grpc: LeanUnaryServe; connect: LeanUnaryServe }>();

  /** Reads the whole body; `undefined` once it has been handed to connect-es instead. */
  async function readWhole(
    req: NodeRequest,
    protocol: LeanUnaryProtocol,
    limit: number,
    signal: AbortSignal,
    fallback: LeanUnaryCall["fallback"],
  ): Promise<Uint8Array | undefined> {
    const chunks: Uint8Array[] = [];
    let length = 0;
    const body = (req as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    for (;;) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await body.next();
      } catch (error) {
        // The body broke off (the client reset the stream): connect-es meets the same break.
        served?.(protocol, "replayed");
        await fallback(replay(chunks, failing(error)), signal);
        return undefined;
      }
      if (r.done === true) break;
      chunks.push(r.value);
      length += r.value.byteLength;
      // Over the limit: connect-es reads on and answers it.
      if (length > limit) {
        served?.(protocol, "replayed");
        await fallback(replay(chunks, body), signal);
        return undefined;
      }
    }
    return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, length);
  }

  function grpcServe(spec: UnarySpec): LeanUnaryServe {
    const serialization = createMethodSerializationLookup(spec.method, opt.binaryOptions, opt.jsonOptions, opt);
    const input = serialization.getI(true);
    const output = serialization.getO(true);
    return async ({ req, res, contextValues, controller, fallback }) => {
      const signal = controller.signal;
      const bytes = await readWhole(req, "grpc", opt.readMaxBytes + 5, signal, fallback);
      if (bytes === undefined) return;
      const message = oneEnvelope(bytes, opt.readMaxBytes);
      served?.("grpc", message === undefined ? "replayed" : "parsed");
      if (message === undefined) return fallback(createAsyncIterable([bytes]), signal);

      const requestHeader = webHeaders(req);
      const timeout = parseGrpcTimeout(requestHeader.get("grpc-timeout"), opt.maxTimeoutMs);
      const context = handlerContext(spec, "grpc", req, requestHeader, signal, contextValues, {
        timeoutMs: timeout.timeoutMs,
        responseHeader: new Headers({ "content-type": grpcContentTypeProto }),
        responseTrailer: new Headers({ "grpc-status": grpcStatusOk }),
      });
      const compression = compressionNegotiate(
        opt.acceptCompression,
        null,
        requestHeader.get("grpc-accept-encoding"),
        "grpc-accept-encoding",
      ).response;
      if (compression) context.responseHeader.set("grpc-encoding", compression.name);
      let answer: Uint8Array | undefined;
      try {
        const out = await invokeUnaryImplementation(spec, context, input.parse(message), opt.interceptors);
        const envelope = await envelopeCompress(
          { flags: 0, data: output.serialize(out) },
          compression,
          opt.compressMinBytes,
        );
        answer = encodeEnvelope(envelope.flags, envelope.data);
        controller.abort(answered);
      } catch (e) {
        controller.abort(e);
        setTrailerStatus(
          context.responseTrailer,
          e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e),
        );
      }
      if (res.writableEnded) return; // the body missed its deadline and was answered
      // What connect-node writes for connect-es's answer: the head, the message if any, the trailers.
      res.writeHead(200, nodeHeaders(context.responseHeader));
      if (answer) (res as Writable).write(answer);
      res.addTrailers(nodeHeaders(context.responseTrailer));
      res.end();
    };
  }

  function connectServe(spec: UnarySpec): LeanUnaryServe {
    const serialization = createMethodSerializationLookup(spec.method, opt.binaryOptions, opt.jsonOptions, opt);
    const idempotent = isIdempotent(spec.method);
    return async ({ req, res, contextValues, json, controller, fallback }) => {
      const signal = controller.signal;
      const requestHeader = webHeaders(req);
      const binary = json === undefined;
      let bytes: Uint8Array | undefined;
      if (binary) {
        bytes = await readWhole(req, "connect", opt.readMaxBytes, signal, fallback);
        if (bytes === undefined) return;
        // A body that breaks its content-length: connect-es names the difference.
        const declared = requestHeader.get("content-length");
        if (declared !== null && Number(declared) !== bytes.byteLength) {
          served?.("connect", "replayed");
          return fallback(createAsyncIterable([bytes]), signal);
        }
      }
      served?.("connect", "parsed");
      const timeout = parseConnectTimeout(requestHeader.get("connect-timeout-ms"), opt.maxTimeoutMs);
      const context = handlerContext(spec, "connect", req, requestHeader, signal, contextValues, {
        timeoutMs: timeout.timeoutMs,
        responseHeader: new Headers({ "content-type": binary ? contentTypeUnaryProto : contentTypeUnaryJson }),
        responseTrailer: new Headers(),
      });
      const compression = compressionNegotiate(
        opt.acceptCompression,
        null,
        requestHeader.get("accept-encoding"),
        "accept-encoding",
      ).response;
      let status = 200;
      let failed: Code | undefined;
      let body: Uint8Array;
      try {
        const input = bytes !== undefined ? serialization.getI(true).parse(bytes) : parseJson(spec, json);
        const output = await invokeUnaryImplementation(spec, context, input, opt.interceptors);
        body = serialization.getO(binary).serialize(output);
      } catch (e) {
        controller.abort(e);
        const error =
          e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
        status = codeToHttpStatus(error.code);
        context.responseHeader.set("content-type", contentTypeUnaryJson);
        error.metadata.forEach((value, key) => {
          context.responseHeader.set(key, value);
        });
        body = errorToJsonBytes(error, opt.jsonOptions);
        failed = error.code;
      }
      controller.abort(answered);
      if (compression && body.byteLength >= opt.compressMinBytes) {
        body = await compression.compress(body);
        context.responseHeader.set("content-encoding", compression.name);
      }
      const header = trailerMux(context.responseHeader, context.responseTrailer);
      header.set("content-length", body.byteLength.toString(10));
      if (failed !== undefined) adviseOnError(header, contextValues.get(requestInfoKey), failed, idempotent);
      if (res.writableEnded) return; // the body missed its deadline and was answered
      // What connect-node writes for connect-es's answer: the head, then the body.
      res.writeHead(status, nodeHeaders(header));
      (res as Writable).write(body);
      res.end();
    };
  }

  return {
    route(method, header) {
      const serves = specs.get(method);
      if (!serves) return undefined;
      const contentType = header("content-type") ?? null;
      const connect = parseConnectContentType(contentType);
      if (connect) {
        if (connect.stream) return undefined;
        if (encoded(header("content-encoding"))) return undefined;
        const timeout = header("connect-timeout-ms");
        if (timeout !== undefined && parseConnectTimeout(timeout, opt.maxTimeoutMs).error) return undefined;
        return serves.connect;
      }
      if (!parseGrpcContentType(contentType)?.binary) return undefined;
      if (encoded(header("grpc-encoding"))) return undefined;
      const timeout = header("grpc-timeout");
      if (timeout !== undefined && parseGrpcTimeout(timeout, opt.maxTimeoutMs).error) return undefined;
      return serves.grpc;
    },
    recording(router) {
      return {
        ...router,
        service(service, implementation, serviceOptions) {
          // Per-service options would change what the router does; none are used.
          if (serviceOptions !== undefined) throw new Error("per-service router options are not supported");
          const spec = createServiceImplSpec(service, implementation);
          for (const m of Object.values(spec.methods)) {
            if (m.kind === "unary") specs.set(m.method, { grpc: grpcServe(m), connect: connectServe(m) });
          }
          router.service(service, implementation);
          return this;
        },
        rpc() {
          throw new Error("register whole services (router.service)");
        },
      };
    },
  };
}

/** A Connect JSON body, decoded as connect-es decodes an already parsed one. */
function parseJson(spec: UnarySpec, json: JsonValue | undefined) {
  try {
    return fromJson(spec.method.input, json ?? null);
  } catch (e) {
    throw ConnectError.from(e, Code.InvalidArgument);
  }
}

/**
 * The handler's context, with what connect-es's `createHandlerContext` gives a handler, on
 * the call's one signal. connect-es would add two controllers of its own — one for the
 * client's deadline, which the front door's timer already enforces (at the same time or
 * sooner), and one linking that to the request's signal — and copy the request headers;
 * on every call. `timeoutMs()` is connect-es's: the client's deadline, if it gave one. The
 * path aborts that signal once it has the answer, so the request scope ends with it.
 */
function handlerContext(
  spec: UnarySpec,
  protocolName: LeanUnaryProtocol,
  req: NodeRequest,
  requestHeader: Headers,
  signal: AbortSignal,
  values: ContextValues,
  init: Pick<HandlerContext, "responseHeader" | "responseTrailer"> & { timeoutMs: number | undefined },
): HandlerContext {
  values.set(signalEndsWithAnswerKey, true);
  const deadline = init.timeoutMs === undefined ? undefined : Date.now() + init.timeoutMs;
  // Written out, not spread: one object shape for every call.
  return {
    method: spec.method,
    service: spec.method.parent,
    signal,
    timeoutMs: deadline === undefined ? () => undefined : () => deadline - Date.now(),
    requestMethod: "POST",
    requestHeader,
    responseHeader: init.responseHeader,
    responseTrailer: init.responseTrailer,
    protocolName,
    values,
    url: requestUrl(req),
  };
}

/**
 * The message of a body that is exactly one uncompressed envelope within the limit, or
 * undefined for anything else (connect-es answers those).
 */
function oneEnvelope(bytes: Uint8Array, readMaxBytes: number): Uint8Array | undefined {
  if (bytes.byteLength < 5 || bytes[0] !== 0) return undefined;
  const length =
    ((bytes[1] as number) << 24) | ((bytes[2] as number) << 16) | ((bytes[3] as number) << 8) | (bytes[4] as number);
  if (length < 0 || length > readMaxBytes || length !== bytes.byteLength - 5) return undefined;
  return bytes.subarray(5);
}

/** A body whose next read fails as the original's did. */
function failing(error: unknown): AsyncIterator<Uint8Array> {
  return { next: () => Promise.reject(error) };
}

/** The chunks already read, then the rest of the body. */
async function* replay(chunks: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* chunks;
  for (;;) {
    const r = await rest.next();
    if (r.done === true) return;
    yield r.value;
  }
}
