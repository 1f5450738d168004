/**
 * The lean serving path of `gitpod.v1.RunnerInteractionService/WatchRequests` (docs/relay.md,
 * "What a held stream costs, and the lean WatchRequests path"). A connected runner holds this
 * stream for hours; through connect-es's generic pipeline each one keeps about ten chained
 * async generators alive. Here a held stream is the relay's queue, one pending read, and the
 * HTTP response it writes envelopes to.
 *
 * Only what a runner sends takes this path: binary Connect streaming (HTTP/1.1 and HTTP/2) and
 * binary gRPC (HTTP/2), uncompressed, with a well-formed timeout header if any. Everything else
 * (JSON, compressed requests, gRPC-Web, gRPC over HTTP/1.1) goes to connect-es as before.
 *
 * Behaviour is connect-es's, step for step (its stream handlers in `protocol-connect` and
 * `protocol-grpc`, `transformInvokeImplementation`), built from its exported helpers:
 * authentication (the interceptor's own function) before the body is read; the body split,
 * parsed and checked for exactly one message by connect-es's own transforms and messages;
 * validation; the method's check; headers sent with the first message or the end; the end as
 * Connect's end-of-stream message or gRPC's trailers; failures through the error interceptor's
 * translation. `relay/watch-handler.test.ts` compares both paths byte for byte.
 */
import type { Writable } from "node:stream";
import type { DescMethodServerStreaming } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type Compression,
  compressionNegotiate,
  createMethodSerializationLookup,
  encodeEnvelope,
  envelopeCompress,
  pipe,
  transformDecompressEnvelope,
  transformParseEnvelope,
  transformSplitEnvelope,
  type UniversalHandlerOptions,
  validateUniversalHandlerOptions,
} from "@connectrpc/connect/protocol";
import {
  contentTypeStreamProto as connectContentType,
  createEndStreamSerialization,
  endStreamFlag,
  parseContentType as parseConnectContentType,
  parseTimeout as parseConnectTimeout,
} from "@connectrpc/connect/protocol-connect";
import {
  contentTypeProto as grpcContentType,
  grpcStatusOk,
  parseContentType as parseGrpcContentType,
  parseTimeout as parseGrpcTimeout,
  setTrailerStatus,
} from "@connectrpc/connect/protocol-grpc";
import {
  RunnerInteractionService,
  type WatchRequestsRequest,
  type WatchRequestsResponse,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import type { Authenticate } from "../auth/authentication-interceptor.js";
import { assertRunnerItself } from "../auth/runner-itself.js";
import type { NodeResponse } from "../http/error-response.js";
import type { NodeRequest } from "../http/json-body.js";
import { encoded, headerValue, nodeHeaders, requestUrl } from "../http/node-request.js";
import type { Logger } from "../logging/index.js";
import { publicFailure } from "../rpc/error-interceptor.js";
import type { RequestInfo } from "../rpc/request-info.js";
import { assertValid } from "../validation/interceptor.js";
import type { Relay } from "./relay.js";

/** The protocols this path speaks. */
export type LeanProtocol = "connect" | "grpc";

/**
 * An RPC path served outside connect-es. `open` looks at the request's headers only: a
 * function that serves it, or undefined to leave it to connect-es.
 */
export interface LeanRoute {
  path: string;
  open(req: NodeRequest): ((res: NodeResponse, info: RequestInfo) => Promise<void>) | undefined;
}

export interface WatchHandlerDeps {
  relay: Relay;
  /** The authentication interceptor's own function (auth/authentication-interceptor.ts). */
  authenticate: Authenticate;
  log: Logger;
  /** The router's options that bear on this method, exactly as createConnectRouter was given them. */
  router: Pick<UniversalHandlerOptions, "readMaxBytes" | "acceptCompression" | "compressMinBytes" | "jsonOptions">;
  /** Tests: told of every stream this path takes. */
  served?: ((protocol: LeanProtocol) => void) | undefined;
}

const method: DescMethodServerStreaming = RunnerInteractionService.method.watchRequests;

/** What the request's headers decided. */
interface Plan {
  protocol: LeanProtocol;
  timeoutMs: number | undefined;
  /** The header naming the encodings the client accepts. */
  acceptHeader: string;
}

export function createWatchHandler(deps: WatchHandlerDeps): LeanRoute {
  const { relay, authenticate, log, served } = deps;
  // connect-es's defaults for what the router was not given (writeMaxBytes, maxTimeoutMs).
  const opt = validateUniversalHandlerOptions(deps.router);
  const serialization = createMethodSerializationLookup(method, opt.binaryOptions, opt.jsonOptions, opt);
  const input = serialization.getI(true);
  const output = serialization.getO(true);
  const endStream = createEndStreamSerialization(opt.jsonOptions);

  const plan = (req: NodeRequest): Plan | undefined => {
    if (req.method !== "POST") return undefined;
    const contentType = req.headers["content-type"];
    if (typeof contentType !== "string") return undefined;
    const connect = parseConnectContentType(contentType);
    if (connect) {
      if (!connect.stream || !connect.binary || encoded(req.headers["connect-content-encoding"])) return undefined;
      const timeout = parseConnectTimeout(headerOf(req, "connect-timeout-ms"), opt.maxTimeoutMs);
      if (timeout.error) return undefined;
      return { protocol: "connect", timeoutMs: timeout.timeoutMs, acceptHeader: "connect-accept-encoding" };
    }
    // gRPC's trailers need HTTP/2 here; connect-es serves the rest.
    if (req.httpVersionMajor !== 2 || !parseGrpcContentType(contentType)?.binary) return undefined;
    if (encoded(req.headers["grpc-encoding"])) return undefined;
    const timeout = parseGrpcTimeout(headerOf(req, "grpc-timeout"), opt.maxTimeoutMs);
    if (timeout.error) return undefined;
    return { protocol: "grpc", timeoutMs: timeout.timeoutMs, acceptHeader: "grpc-accept-encoding" };
  };

  const shared: Shared = { log, output, endStream, compressMinBytes: opt.compressMinBytes };

  async function serve(req: NodeRequest, res: NodeResponse, info: RequestInfo, p: Plan): Promise<void> {
    served?.(p.protocol);
    const grpc = p.protocol === "grpc";
    const header = (name: string) => headerOf(req, name);
    const compression = compressionNegotiate(
      opt.acceptCompression,
      null,
      header(p.acceptHeader),
      p.acceptHeader,
    ).response;
    const held = new HeldStream(shared, req, res, info, grpc, compression, p.timeoutMs);
    let stream: AsyncIterator<WatchRequestsResponse>;
    try {
      const caller = await authenticate(header, method, info);
      const request = await readRequest(req, grpc);
      assertRunnerItself(caller, request.runnerId);
      stream = relay.stream(request.runnerId.toLowerCase(), held.ended.signal)[Symbol.asyncIterator]();
    } catch (error) {
      await held.finish(error);
      return;
    }
    held.pump(stream);
  }

  /** Exactly one request message, as connect-es reads a server-streaming call's input. */
  async function readRequest(req: NodeRequest, grpc: boolean): Promise<WatchRequestsRequest> {
    const messages = pipe(
      req as AsyncIterable<Uint8Array>,
      transformSplitEnvelope(opt.readMaxBytes),
      transformDecompressEnvelope(null, opt.readMaxBytes),
      grpc ? transformParseEnvelope(input) : transformParseEnvelope(input, endStreamFlag),
    )[Symbol.asyncIterator]();
    const first = await messages.next();
    if (first.done === true) {
      throw new ConnectError("protocol error: missing input message for server-streaming method", Code.Unimplemented);
    }
    assertValid(method.input, first.value);
    const second = await messages.next();
    if (second.done !== true) {
      throw new ConnectError(
        "protocol error: received extra input message for server-streaming method",
        Code.Unimplemented,
      );
    }
    return first.value as WatchRequestsRequest;
  }

  return {
    path: `/${method.parent.typeName}/${method.name}`,
    open(req) {
      const p = plan(req);
      return p && ((res, info) => serve(req, res, info, p));
    },
  };
}

/** A request header as `Headers.get` gives it: repeated values joined, null when absent. */
function headerOf(req: NodeRequest, name: string): string | null {
  return headerValue(req, name) ?? null;
}

/** What every held stream of one handler shares. */
interface Shared {
  log: Logger;
  output: { serialize(message: WatchRequestsResponse): Uint8Array };
  endStream: ReturnType<typeof createEndStreamSerialization>;
  compressMinBytes: number;
}

/**
 * One stream's state while it is held: an object with its fields rather than a closure per
 * step, since there are as many of these as connected runners (docs/relay.md).
 */
class HeldStream {
  /** The method's signal: the client's deadline, its hang-up, or the end of the stream. */
  readonly ended = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private finished = false;
  private stream: AsyncIterator<WatchRequestsResponse> | undefined;
  private readonly hangUp = () => this.ended.abort();

  constructor(
    private readonly shared: Shared,
    private readonly req: NodeRequest,
    private readonly res: NodeResponse,
    private readonly info: RequestInfo,
    private readonly grpc: boolean,
    private readonly compression: Compression | null,
    timeoutMs: number | undefined,
  ) {
    this.timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => this.ended.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
            timeoutMs,
          );
    res.once("close", this.hangUp);
  }

  /** Writes what the relay pushes, one read pending at a time, until the stream ends. */
  pump(stream: AsyncIterator<WatchRequestsResponse>): void {
    this.stream = stream;
    this.next();
  }

  /** Ends the response as connect-es does: the end-of-stream message, or the trailers. */
  async finish(failure: unknown): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const { res, info } = this;
    clearTimeout(this.timer);
    res.off("close", this.hangUp);
    const error =
      failure === undefined ? undefined : publicFailure(this.shared.log, info, requestUrl(this.req), failure);
    if (error === undefined) info.code = "ok";
    this.ended.abort(error);
    if (!this.open()) return;
    if (this.grpc) {
      this.writeHead();
      res.addTrailers(nodeHeaders(setTrailerStatus(new Headers({ "grpc-status": grpcStatusOk }), error)));
      res.end();
      return;
    }
    const metadata = new Headers();
    const end = await this.envelope(
      endStreamFlag,
      this.shared.endStream.serialize(error ? { metadata, error } : { metadata }),
    );
    if (!this.open()) return;
    this.writeHead();
    res.end(end);
  }

  private next(): void {
    this.stream?.next().then(
      (r) => this.onMessage(r),
      (error: unknown) => this.end(error),
    );
  }

  private onMessage(r: IteratorResult<WatchRequestsResponse>): void {
    if (r.done) {
      this.end(undefined);
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.shared.output.serialize(r.value);
    } catch (error) {
      this.end(error);
      return;
    }
    if (!this.compression) {
      this.write(encodeEnvelope(0, bytes));
      return;
    }
    this.envelope(0, bytes).then(
      (frame) => this.write(frame),
      (error: unknown) => this.end(error),
    );
  }

  private write(frame: Uint8Array): void {
    if (!this.open()) {
      this.end(undefined);
      return;
    }
    this.writeHead();
    // Both kinds of response are Writables; their `write` overloads just do not unify.
    if ((this.res as Writable).write(frame)) this.next();
    else this.res.once("drain", () => this.next());
  }

  private end(failure: unknown): void {
    this.finish(failure).catch((error: unknown) => {
      this.shared.log.error("could not end a runner stream", { request_id: this.info.id, error });
      this.res.destroy();
    });
  }

  private async envelope(flags: number, data: Uint8Array): Promise<Uint8Array> {
    if (!this.compression) return encodeEnvelope(flags, data);
    const e = await envelopeCompress({ flags, data }, this.compression, this.shared.compressMinBytes);
    return encodeEnvelope(e.flags, e.data);
  }

  private open(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }

  /** The response headers, sent with the first message or the end, as connect-node sends them. */
  private writeHead(): void {
    if (this.res.headersSent) return;
    const headers: Record<string, string> = { "content-type": this.grpc ? grpcContentType : connectContentType };
    if (this.compression) headers[this.grpc ? "grpc-encoding" : "connect-content-encoding"] = this.compression.name;
    this.res.writeHead(200, headers);
  }
}
