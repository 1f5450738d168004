// tracing.ts is not re-exported: it loads the OpenTelemetry SDK, which main.ts imports only
// when tracing is configured. Import it from "./observability/tracing.js".
export type { Metrics, MetricsOptions, ProcedureRecorder } from "./metrics.js";
export { createMetrics, unknownProcedure } from "./metrics.js";
export type { MetricsEndpoint, MetricsServer } from "./metrics-endpoint.js";
export { createMetricsEndpoint, metricsPath, startMetricsServer } from "./metrics-endpoint.js";
export type { RpcProtocol } from "./protocol.js";
export { rpcProtocols } from "./protocol.js";
export type { ObservedRequest, RequestObserver, RequestObserverOptions } from "./request-observer.js";
export { createRequestObserver } from "./request-observer.js";
export type { RpcSpan, RpcTracer, Tracing, TracingOptions } from "./tracing.js";
