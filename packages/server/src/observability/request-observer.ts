/**
 * What the front door (http/front-door.ts) tells metrics and tracing about each request:
 * it is where every request enters, where its procedure and protocol are known, and where
 * its response closes with the outcome the RPC layer recorded (RequestInfo.code).
 * Health probes, CORS preflights and /metrics itself are not observed.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Metrics } from "./metrics.js";
import type { RpcProtocol } from "./protocol.js";
import type { RpcSpan, RpcTracer } from "./tracing.js";

export interface RequestObserver {
  /**
   * A request entered. `path` is the RPC path (`/api` removed) and `method` the served
   * method it names, if it names one.
   */
  start(
    path: string,
    method: DescMethod | undefined,
    protocol: RpcProtocol,
    headers: IncomingHttpHeaders,
  ): ObservedRequest;
}

export interface ObservedRequest {
  /** The trace the request's span belongs to, for its log line; undefined without tracing. */
  readonly traceId: string | undefined;
  /** Runs the call with its span current (database statements become its children). */
  run<T>(fn: () => T): T;
  /**
   * The response closed. `code` as the RPC layer recorded it (rpc/error-interceptor.ts).
   * None recorded: the client went away (`aborted`, or a stream it stopped reading, whose
   * messages neither ended nor failed) — `canceled`; or connect-es answered a unary
   * request by itself, before any interceptor ran — `unknown`.
   */
  end(code: Code | "ok" | undefined, aborted: boolean, seconds: number): void;
}

export interface RequestObserverOptions {
  metrics?: Metrics | undefined;
  /** Present only when tracing is configured (observability/tracing.ts). */
  tracer?: RpcTracer | undefined;
}

/** Undefined when there is nothing to observe for: the front door then does no such work at all. */
export function createRequestObserver({ metrics, tracer }: RequestObserverOptions): RequestObserver | undefined {
  if (!metrics && !tracer) return undefined;
  return {
    start(path, method, protocol, headers) {
      const recorder = metrics?.procedure(method ? path : undefined);
      recorder?.started();
      // Spans only for served methods: another path is no call (and has no bounded name).
      const span: RpcSpan | undefined = method ? tracer?.start(method, protocol, headers) : undefined;
      return {
        traceId: span?.traceId,
        run: (fn) => (span ? span.run(fn) : fn()),
        end(recorded, aborted, seconds) {
          const code =
            recorded ?? (aborted || (method && method.methodKind !== "unary") ? Code.Canceled : Code.Unknown);
          recorder?.finished(protocol, code, seconds);
          span?.end(code);
        },
      };
    },
  };
}
