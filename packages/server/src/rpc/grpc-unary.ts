/**
 * gRPC unary calls without connect-es's stream pipeline (docs/decisions.md, "gRPC unary
 * calls without the stream pipeline"). connect-es serves a gRPC unary call the way it serves
 * a stream: the request body through four chained async generators (split, decompress,
 * parse, exactly-one), the implementation through a fifth, the answer through four more
 * (serialize, compress, join, catch), with connect-node's adapters between Node's request
 * and response and its universal ones on either side. On this machine that is most of what
 * a bare connect-es gRPC call costs (`dist/unary-floor.js`), and every connected runner's
 * heartbeat is one.
 *
 * Here the body is read whole from Node's request, and when it is what nearly every client
 * sends — one uncompressed envelope within the size limit — it is parsed and handed to
 * connect-es's own `invokeUnaryImplementation` with the router's interceptors, in a context
 * built by connect-es's `createHandlerContext` exactly as its gRPC handler builds it
 * (headers, URL and signal as connect-node would give them). The answer is written as
 * connect-node writes connect-es's: the head, the message if any, the trailers with the
 * status. Anything else — an empty body, two messages, a compressed or truncated envelope, a
 * message over the limit, a body the client broke off — is replayed, byte for byte, into
 * connect-es's own handler, so every protocol error is still connect-es's.
 * `rpc/grpc-unary.test.ts` compares both paths on the wire.
 */
import type { Writable } from "node:stream";
import type { DescMethod } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createHandlerContext,
  createServiceImplSpec,
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
  contentTypeProto,
  grpcStatusOk,
  parseContentType,
  parseTimeout,
  setTrailerStatus,
} from "@connectrpc/connect/protocol-grpc";
import type { NodeResponse } from "../http/error-response.js";
import type { NodeRequest } from "../http/json-body.js";
import { requestUrl } from "../http/node-request.js";

/** One call handed to the path by the front door. */
export interface GrpcUnaryCall {
  req: NodeRequest;
  res: NodeResponse;
  contextValues: ContextValues;
  /** The front door's deadline around the call's own signal (http/front-door.ts). */
  link(signal: AbortSignal): AbortSignal;
  /** connect-es's own handler, with this body and signal, written as the front door writes it. */
  fallback(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<void>;
}

export type GrpcUnaryServe = (call: GrpcUnaryCall) => Promise<void>;

export interface GrpcUnary {
  /**
   * The path for this request, or undefined: only unary methods the router serves, called
   * with binary gRPC, an uncompressed request and a well-formed (or no) timeout.
   */
  route(method: DescMethod, header: (name: string) => string | undefined): GrpcUnaryServe | undefined;
  /** The router, recording each service's implementation as it is registered. */
  recording(router: ConnectRouter): ConnectRouter;
}

/**
 * Why a call's context ends once it is answered, one object for every call: `abort()`
 * without a reason builds a new DOMException, stack trace and all (connect-es passes none).
 */
const answered = new ConnectError("the call was answered", Code.Canceled);
/** Why a call's signal aborts when its response closes (connect-node's says the same: canceled). */
const closed = new ConnectError("the request was canceled", Code.Canceled);

export function createGrpcUnary(
  options: Partial<
    Pick<UniversalHandlerOptions, "readMaxBytes" | "acceptCompression" | "compressMinBytes" | "jsonOptions">
  > & {
    interceptors: Interceptor[];
    /** Tests: told of every request this path took, and whether it replayed it into connect-es. */
    served?: ((how: "parsed" | "replayed") => void) | undefined;
  },
): GrpcUnary {
  const served = options.served;
  const opt = validateUniversalHandlerOptions(options);
  const serves = new Map<DescMethod, GrpcUnaryServe>();

  function serveFor(spec: MethodImplSpec & { kind: "unary" }): GrpcUnaryServe {
    const serialization = createMethodSerializationLookup(spec.method, opt.binaryOptions, opt.jsonOptions, opt);
    const input = serialization.getI(true);
    const output = serialization.getO(true);
    return async ({ req, res, contextValues, link, fallback }) => {
      // As connect-node's request signal: aborted when the response closes, finished or not.
      const own = new AbortController();
      res.once("close", () => own.abort(closed));
      const signal = link(own.signal);
      const chunks: Uint8Array[] = [];
      let length = 0;
      const body = (req as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      for (;;) {
        let r: IteratorResult<Uint8Array>;
        try {
          r = await body.next();
        } catch (error) {
          // The body broke off (the client reset the stream): connect-es meets the same break.
          served?.("replayed");
          return fallback(replay(chunks, failing(error)), signal);
        }
        if (r.done === true) break;
        chunks.push(r.value);
        length += r.value.byteLength;
        // Over the limit: connect-es reads on and answers it.
        if (length > opt.readMaxBytes + 5) {
          served?.("replayed");
          return fallback(replay(chunks, body), signal);
        }
      }
      const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, length);
      const message = oneEnvelope(bytes, opt.readMaxBytes);
      served?.(message === undefined ? "replayed" : "parsed");
      if (message === undefined) return fallback(createAsyncIterable([bytes]), signal);

      const requestHeader = webHeaders(req);
      const timeout = parseTimeout(requestHeader.get("grpc-timeout"), opt.maxTimeoutMs);
      const context = createHandlerContext({
        ...spec,
        service: spec.method.parent,
        requestMethod: "POST",
        protocolName: "grpc",
        ...(timeout.timeoutMs === undefined ? {} : { timeoutMs: timeout.timeoutMs }),
        ...(opt.shutdownSignal === undefined ? {} : { shutdownSignal: opt.shutdownSignal }),
        requestSignal: signal,
        requestHeader,
        url: requestUrl(req),
        responseHeader: { "content-type": contentTypeProto },
        responseTrailer: { "grpc-status": grpcStatusOk },
        contextValues,
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
        context.abort(answered);
      } catch (e) {
        context.abort(e);
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

  return {
    route(method, header) {
      const serve = serves.get(method);
      if (!serve) return undefined;
      if (!parseContentType(header("content-type") ?? null)?.binary) return undefined;
      const encoding = header("grpc-encoding");
      if (encoding !== undefined && encoding !== "identity") return undefined;
      const timeout = header("grpc-timeout");
      if (timeout !== undefined && parseTimeout(timeout, opt.maxTimeoutMs).error) return undefined;
      return serve;
    },
    recording(router) {
      return {
        ...router,
        service(service, implementation, serviceOptions) {
          // Per-service options would change what the router does; none are used.
          if (serviceOptions !== undefined) throw new Error("per-service router options are not supported");
          const spec = createServiceImplSpec(service, implementation);
          for (const m of Object.values(spec.methods)) {
            if (m.kind === "unary") serves.set(m.method, serveFor(m));
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

/** The request's headers as connect-node gives them to connect-es (pseudo-headers left out). */
function webHeaders(req: NodeRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.append(name, String(value));
  }
  return headers;
}

/** Headers as Node's response takes them. */
function nodeHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
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
