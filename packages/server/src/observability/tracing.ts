/**
 * OpenTelemetry tracing (behaviour.md §17, docs/operations.md): a server span per call,
 * continuing the caller's `traceparent`, and a client span per database statement of the
 * call, exported over OTLP/HTTP (protobuf).
 *
 * main.ts imports this module only when an OTLP endpoint is configured, so without one no
 * SDK code is even loaded and the front door makes no tracing call at all.
 *
 * Nothing is registered globally (no global tracer provider, propagator or context
 * manager): the tracer is passed to the front door like any dependency, the W3C
 * propagator is used directly, and the current call's span is carried by an
 * AsyncLocalStorage of our own, which the statement observer reads. Tests build as many
 * as they like, side by side. The SDK still reads its other standard variables itself
 * (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER[_ARG],
 * OTEL_EXPORTER_OTLP_[TRACES_]HEADERS / _TIMEOUT / _COMPRESSION, OTEL_BSP_*).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingHttpHeaders } from "node:http";
import { createRequire } from "node:module";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import {
  type Attributes,
  DiagLogLevel,
  defaultTextMapGetter,
  diag,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from "@opentelemetry/semantic-conventions";
import type { QueryKind } from "../db/index.js";
import type { Logger } from "../logging/index.js";
import type { RpcProtocol } from "./protocol.js";

// RPC attributes of the semantic conventions, copied rather than imported from the
// package's `incubating` entry point, as the package advises (it may change them in a
// minor release). These are the conventions RPC instrumentations and trace backends use
// today (connect-go's otelconnect, grpc-java); semconv 1.45 stabilised a renamed set
// (`rpc.system.name`, a fully qualified `rpc.method`, `rpc.status_code`), docs/operations.md.
const ATTR_RPC_SYSTEM = "rpc.system";
const ATTR_RPC_SERVICE = "rpc.service";
const ATTR_RPC_METHOD = "rpc.method";
const ATTR_RPC_GRPC_STATUS_CODE = "rpc.grpc.status_code";
const ATTR_RPC_CONNECT_RPC_ERROR_CODE = "rpc.connect_rpc.error_code";
const RPC_SYSTEM_VALUE_GRPC = "grpc";
const RPC_SYSTEM_VALUE_CONNECT_RPC = "connect_rpc";

/** Codes a server span counts as its own failure (semconv for gRPC; we apply it to Connect too). */
const serverErrors = new Set<Code>([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

export interface TracingOptions {
  /** The OTLP/HTTP traces endpoint (Config.otlpTracesUrl). */
  url?: string;
  /** Where spans go instead of an OTLP exporter (tests: an in-memory exporter). */
  spanProcessor?: SpanProcessor;
  /** Export failures are logged here (as warnings). */
  log?: Logger;
}

/** One call's server span. */
export interface RpcSpan {
  /** For the request's log line. */
  readonly traceId: string;
  /** Runs the call with this span current, so its database statements become its children. */
  run<T>(fn: () => T): T;
  /** The call ended with `code` (`Code.Canceled` for a client that went away). */
  end(code: Code | "ok"): void;
}

export interface RpcTracer {
  /** A server span for a call of `method`, child of the caller's `traceparent` if it sent one. */
  start(method: DescMethod, protocol: RpcProtocol, headers: IncomingHttpHeaders): RpcSpan;
}

export interface Tracing {
  readonly rpc: RpcTracer;
  /**
   * For StatementObserverOptions.started: a client span for a statement of a traced call
   * (none for statements outside any call).
   */
  statementStarted(kind: QueryKind): ((text: string, error: unknown) => void) | undefined;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

export function startTracing(options: TracingOptions): Tracing {
  if (options.log) {
    const log = options.log;
    // The exporter reports failed exports through the API's diagnostic logger, which is
    // process-wide by design; only the server's entry point passes a logger.
    diag.setLogger(
      {
        error: (message) => log.warn("tracing", { message }),
        warn: (message) => log.warn("tracing", { message }),
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      DiagLogLevel.WARN,
    );
  }
  const processor =
    options.spanProcessor ??
    new BatchSpanProcessor(new OTLPTraceExporter(options.url === undefined ? {} : { url: options.url }));
  const provider = new BasicTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override these.
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: "runnerplane", [ATTR_SERVICE_VERSION]: version() }).merge(
      detectResources({ detectors: [envDetector] }),
    ),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer("runnerplane", version());
  const propagator = new W3CTraceContextPropagator();
  const current = new AsyncLocalStorage<Span>();

  const rpc: RpcTracer = {
    start(method, protocol, headers) {
      const grpc = protocol === "grpc" || protocol === "grpc-web";
      const service = method.parent.typeName;
      const attributes: Attributes = {
        [ATTR_RPC_SYSTEM]: grpc ? RPC_SYSTEM_VALUE_GRPC : RPC_SYSTEM_VALUE_CONNECT_RPC,
        [ATTR_RPC_SERVICE]: service,
        [ATTR_RPC_METHOD]: method.name,
      };
      const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
      const span = tracer.startSpan(`${service}/${method.name}`, { kind: SpanKind.SERVER, attributes }, parent);
      return {
        traceId: span.spanContext().traceId,
        run: (fn) => current.run(span, fn),
        end(outcome) {
          const code = outcome === "ok" ? 0 : outcome;
          if (grpc) span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
          else if (code !== 0) span.setAttribute(ATTR_RPC_CONNECT_RPC_ERROR_CODE, codeToString(code));
          if (code !== 0 && serverErrors.has(code)) {
            span.setAttribute(ATTR_ERROR_TYPE, codeToString(code));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        },
      };
    },
  };

  return {
    rpc,
    statementStarted() {
      const call = current.getStore();
      // Outside any call, or in one the sampler left out: nothing to record.
      if (!call?.isRecording()) return undefined;
      const span = tracer.startSpan(
        DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        { kind: SpanKind.CLIENT, attributes: { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL } },
        trace.setSpan(ROOT_CONTEXT, call),
      );
      return (text, error) => {
        // The statement's text has placeholders ($1, …), never the values.
        const operation = /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase();
        if (operation) {
          span.updateName(operation);
          span.setAttribute(ATTR_DB_OPERATION_NAME, operation);
        }
        span.setAttribute(ATTR_DB_QUERY_TEXT, text);
        if (error !== undefined) {
          const code = (error as { code?: unknown }).code;
          span.setAttribute(ATTR_ERROR_TYPE, typeof code === "string" ? code : "error");
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        }
        span.end();
      };
    },
    shutdown: () => provider.shutdown(),
  };
}

let packageVersion: string | undefined;
/** The server package's version (src/ and dist/ both sit one level below it). */
function version(): string {
  packageVersion ??= (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
  return packageVersion;
}
