/**
 * What a tool outside this package needs to run the real server on a database of its own
 * choosing: the benchmark suite (`packages/bench`) is its user. Unlike `./testing`, nothing
 * here depends on vitest. Exported as `@runnerplane/server/harness`.
 */
export type { BootstrapInput, Bootstrapped } from "./admin/bootstrap.js";
export { bootstrap } from "./admin/bootstrap.js";
export { defaultDbPoolSize } from "./config.js";
export { createKeyRing } from "./crypto/index.js";
export type { EmbeddedPostgres, Sql } from "./db/index.js";
export {
  createDatabaseIfMissing,
  createSql,
  createStatementObserver,
  dropDatabase,
  migrate,
  startEmbeddedPostgres,
} from "./db/index.js";
export { serverSecret } from "./db/server-secrets.js";
export { issueRunnerAccessTokens, issueToken, touchIntervalMs } from "./db/tokens.js";
export { createLogger } from "./logging/index.js";
export type { Metrics } from "./observability/index.js";
export { createMetrics } from "./observability/index.js";
// The tracing module loads the OpenTelemetry SDK; the bench's observability scenario uses it.
export type { Tracing } from "./observability/tracing.js";
export { startTracing } from "./observability/tracing.js";
export { createPageTokens } from "./pagination/index.js";
// The lean unary path, for the bench's framework floor (dist/unary-floor.js).
export { AsyncQueue } from "./relay/queue.js";
export { servedServices } from "./routes.js";
export { createLeanUnary } from "./rpc/lean-unary.js";
export type { Server, ServerConfig } from "./server.js";
export { build } from "./server.js";
