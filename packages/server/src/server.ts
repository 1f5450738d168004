/**
 * build(): the whole server, assembled but not listening. main.ts listens; tests build
 * one per test file on port 0 against their own database.
 */
import type { AddressInfo } from "node:net";
import { createConnectRouter } from "@connectrpc/connect";
import { createAuthenticate } from "./auth/index.js";
import { type Clock, systemClock } from "./clock.js";
import { type Config, connectionDefaults } from "./config.js";
import { defaultConsoleDir } from "./console/index.js";
import type { KeyRing } from "./crypto/index.js";
import { createReadiness, type DatabaseHealth, type Sql } from "./db/index.js";
import { compressMinBytes, gzip } from "./http/compression.js";
import { createFrontDoor } from "./http/front-door.js";
import { createListener } from "./http/listener.js";
import type { Logger } from "./logging/index.js";
import { createMetricsEndpoint, createRequestObserver, type Metrics, type RpcTracer } from "./observability/index.js";
import { pages } from "./pages.js";
import { createRelay, createWatchHandler, type LeanProtocol, startRelayLeftoverSweeper } from "./relay/index.js";
import { interceptors, routes, serviceDeps } from "./routes.js";
import { createLeanUnary, type LeanUnaryProtocol } from "./rpc/lean-unary.js";
import { defaultAuditLogRetentionDays, startAuditLogPruner } from "./services/audit-log-pruner.js";
import { startRunnerDeletionSweeper } from "./services/runner-deletion-sweeper.js";
import { signInDefaults } from "./sign-in/settings.js";

export type ServerConfig = Pick<
  Config,
  "corsOrigins" | "maxBodyBytes" | "requestTimeoutMs" | "shutdownTimeoutMs" | "publicUrl" | "runnerDeleteGraceMs"
> &
  /** Left out: `connectionDefaults`. */
  Partial<
    Pick<
      Config,
      | keyof typeof connectionDefaults
      | "corsAllowedHeaders"
      | "metricsToken"
      | "consoleDir"
      | "signIn"
      | "trustProxy"
      | "auditLogRetentionDays"
    >
  >;

export interface ServerDeps {
  config: ServerConfig;
  sql: Sql;
  log: Logger;
  /** Defaults to the system clock; tests pass their own to move time. */
  clock?: Clock;
  /** Keys for secrets at rest (host authentication tokens). */
  keyRing: KeyRing;
  /** The database's reachability (db/health.ts), for /readyz and gRPC health; without it they ask the pool. */
  health?: DatabaseHealth | undefined;
  /** Prometheus metrics (observability/metrics.ts); absent: none are recorded. */
  metrics?: Metrics | undefined;
  /** A server span per call (observability/tracing.ts); absent: no tracing work at all. */
  tracer?: RpcTracer | undefined;
  /**
   * The lean WatchRequests path (relay/watch-handler.ts): on by default. Tests turn it off to
   * compare with connect-es's, or watch which streams it served.
   */
  leanWatch?: false | { served(protocol: LeanProtocol): void } | undefined;
  /**
   * Unary calls beside connect-es's per-call machinery (rpc/lean-unary.ts): on by default.
   * Tests turn it off to compare with connect-es's, or watch which calls it took.
   */
  leanUnary?: false | { served(protocol: LeanUnaryProtocol, how: "parsed" | "replayed"): void } | undefined;
}

export interface Server {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Graceful: stop accepting, finish in-flight requests (bounded by shutdownTimeoutMs). */
  close(): Promise<void>;
}

export function build({
  config,
  sql,
  log,
  keyRing,
  health,
  metrics,
  tracer,
  leanWatch,
  leanUnary,
  clock = systemClock,
}: ServerDeps): Server {
  const relay = createRelay({ sql, clock, log, observer: metrics?.relay });
  const signIn = config.signIn ?? signInDefaults;
  const deps = serviceDeps({ sql, clock, log, keyRing, publicUrl: config.publicUrl, relay, signIn });
  const authenticate = createAuthenticate(deps);
  const routerOptions = {
    readMaxBytes: config.maxBodyBytes,
    // gzip in and out on every protocol; the body limit applies to the inflated size.
    acceptCompression: [gzip],
    compressMinBytes,
    // Requests: strict JSON, an unknown enum name is an error (unknown *fields* are dropped
    // before decoding by the front door on every JSON path, http/json-requests.ts).
    // Responses: every field, zero values included, as the API documentation shows them
    // (a disabled class says `"enabled": false` instead of leaving the field out).
    jsonOptions: { ignoreUnknownFields: false, alwaysEmitImplicit: true },
  };
  const chain = interceptors(deps, authenticate);
  const unary =
    leanUnary === false
      ? undefined
      : createLeanUnary({ ...routerOptions, interceptors: chain, served: leanUnary?.served });
  const connectRouter = createConnectRouter({ interceptors: chain, ...routerOptions });
  const router = unary ? unary.recording(connectRouter) : connectRouter;
  // Runners' held streams, served without connect-es's per-stream pipeline (docs/relay.md).
  const lean =
    leanWatch === false
      ? []
      : [createWatchHandler({ relay, authenticate, log, router: routerOptions, served: leanWatch?.served })];
  const ready = createReadiness(sql, health);
  const shuttingDown = new AbortController();
  routes(router, deps, { ready, shutdown: shuttingDown.signal });
  const sweeper = startRunnerDeletionSweeper(
    { sql, clock, log, graceMs: config.runnerDeleteGraceMs },
    Math.min(30_000, config.runnerDeleteGraceMs),
  );
  const leftovers = startRelayLeftoverSweeper({ sql, clock, log });
  const pruner = startAuditLogPruner({
    sql,
    clock,
    log,
    retentionDays: config.auditLogRetentionDays ?? defaultAuditLogRetentionDays,
  });

  const listener = createListener(() => frontDoor, {
    headersTimeoutMs: config.headersTimeoutMs ?? connectionDefaults.headersTimeoutMs,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs ?? connectionDefaults.keepAliveTimeoutMs,
    http2IdleTimeoutMs: config.http2IdleTimeoutMs ?? connectionDefaults.http2IdleTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
  });
  const frontDoor = createFrontDoor({
    handlers: connectRouter.handlers,
    log,
    corsOrigins: config.corsOrigins,
    corsAllowedHeaders: config.corsAllowedHeaders ?? [],
    maxBodyBytes: config.maxBodyBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    observer: createRequestObserver({ metrics, tracer }),
    // On the public port only behind its token; the metrics port is main.ts's.
    metrics: metrics && config.metricsToken ? createMetricsEndpoint(metrics, config.metricsToken) : undefined,
    pages: pages(deps, { consoleDir: config.consoleDir ?? defaultConsoleDir }),
    trustProxy: config.trustProxy ?? false,
    lean,
    leanUnary: unary,
    ready,
  });

  return {
    listen: (port, host) => listener.listen(port, host),
    close: async () => {
      // Health says NOT_SERVING from here on, and its Watch streams end.
      shuttingDown.abort();
      sweeper.stop();
      leftovers.stop();
      pruner.stop();
      // Runner streams never end on their own: end them first, then wait for the rest.
      await relay.close();
      await deps.extensionRelay.close();
      await listener.close(config.shutdownTimeoutMs);
    },
  };
}
