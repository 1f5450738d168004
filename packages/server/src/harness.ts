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
export { createDatabaseIfMissing, createSql, dropDatabase, migrate, startEmbeddedPostgres } from "./db/index.js";
export { serverSecret } from "./db/server-secrets.js";
export { issueRunnerAccessTokens, issueToken, touchIntervalMs } from "./db/tokens.js";
export { createLogger } from "./logging/index.js";
export { createPageTokens } from "./pagination/index.js";
export type { Server, ServerConfig } from "./server.js";
export { build } from "./server.js";
