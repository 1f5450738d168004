/**
 * gRPC unary calls without connect-es's stream pipeline (docs/decisions.md, "gRPC unary
 * calls without the stream pipeline"). connect-es serves a gRPC unary call the way it serves
 * a stream: the request body through four chained async generators (split, decompress,
 * parse, exactly-one), the implementation through a fifth, the answer through four more
 * (serialize, compress, join, catch). On this machine that pipeline is about half of what a
 * bare connect-es gRPC call costs, and every connected runner's heartbeat is one.
 *
 * Here the body is read whole, and when it is what nearly every client sends — one
 * uncompressed envelope, within the size limit — it is parsed and handed to connect-es's own
 * `invokeUnaryImplementation` with the router's interceptors, in a context built by
 * connect-es's `createHandlerContext` exactly as its gRPC handler builds it. The answer is
 * the same universal response connect-es returns (headers, one enveloped message or none,
 * trailers with the status), and the front door writes it as before. Anything else — an
 * empty body, two messages, a compressed or truncated envelope, a message over the limit —
 * is replayed, byte for byte, into connect-es's own handler, so every protocol error is
 * still connect-es's. `rpc/grpc-unary.test.ts` compares both paths on the wire.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
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
  type UniversalServerRequest,
  type UniversalServerResponse,
  uResponseOk,
  validateUniversalHandlerOptions,
} from "@connectrpc/connect/protocol";
import {
  contentTypeProto,
  grpcStatusOk,
  parseContentType,
  parseTimeout,
  setTrailerStatus,
} from "@connectrpc/connect/protocol-grpc";

/** Serves one gRPC unary request as connect-es would; `fallback` is connect-es's own handler. */
export type GrpcUnaryServe = (
  req: UniversalServerRequest,
  fallback: (req: UniversalServerRequest) => Promise<UniversalServerResponse>,
) => Promise<UniversalServerResponse>;

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

export function createGrpcUnary(
  options: Pick<UniversalHandlerOptions, "readMaxBytes" | "acceptCompression" | "compressMinBytes" | "jsonOptions"> & {
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
    return async (req, fallback) => {
      const chunks: Uint8Array[] = [];
      let length = 0;
      const body = (req.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      for (;;) {
        const r = await body.next();
        if (r.done === true) break;
        chunks.push(r.value);
        length += r.value.byteLength;
        // Over the limit: connect-es reads on and answers it.
        if (length > opt.readMaxBytes + 5) {
          served?.("replayed");
          return fallback({ ...req, body: replay(chunks, body) });
        }
      }
      const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, length);
      const message = oneEnvelope(bytes, opt.readMaxBytes);
      served?.(message === undefined ? "replayed" : "parsed");
      if (message === undefined) return fallback({ ...req, body: createAsyncIterable([bytes]) });

      const timeout = parseTimeout(req.header.get("grpc-timeout"), opt.maxTimeoutMs);
      const context = createHandlerContext({
        ...spec,
        service: spec.method.parent,
        requestMethod: req.method,
        protocolName: "grpc",
        ...(timeout.timeoutMs === undefined ? {} : { timeoutMs: timeout.timeoutMs }),
        ...(opt.shutdownSignal === undefined ? {} : { shutdownSignal: opt.shutdownSignal }),
        requestSignal: req.signal,
        requestHeader: req.header,
        url: req.url,
        responseHeader: { "content-type": contentTypeProto },
        responseTrailer: { "grpc-status": grpcStatusOk },
        ...(req.contextValues === undefined ? {} : { contextValues: req.contextValues }),
      });
      const compression = compressionNegotiate(
        opt.acceptCompression,
        null,
        req.header.get("grpc-accept-encoding"),
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
      return {
        ...uResponseOk,
        body: createAsyncIterable(answer ? [answer] : []),
        header: context.responseHeader,
        trailer: context.responseTrailer,
      };
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

/** The chunks already read, then the rest of the body. */
async function* replay(chunks: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* chunks;
  for (;;) {
    const r = await rest.next();
    if (r.done === true) return;
    yield r.value;
  }
}
