/**
 * Entry point: reads configuration (the only file that touches process.env), starts the
 * embedded Postgres when no DATABASE_URL is given, applies migrations, listens, and shuts
 * down gracefully on SIGTERM/SIGINT.
 */

import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ensureDefaultOrganization } from "./admin/default-organization.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { createKeyRing, generateSecretKey, parseSecretKeys } from "./crypto/index.js";
import { createStatementObserver, migrate, openDatabase } from "./db/index.js";
import { createLogger } from "./logging/index.js";
import { createMetrics, createMetricsEndpoint, startMetricsServer } from "./observability/index.js";
import { servedServices } from "./routes.js";
import { build } from "./server.js";
import { encryptPlaintextMetricsPasswords } from "./services/metrics-password.js";

async function main(): Promise<void> {
  // INIT_CWD: where the user ran `pnpm start`, so relative paths mean what they typed.
  const config = loadConfig(process.env, process.env.INIT_CWD ?? process.cwd());
  const log = createLogger({ level: config.logLevel });
  // Metrics are recorded only where they can be read: on the metrics port, or behind the token.
  const metrics =
    config.metricsPort !== undefined || config.metricsToken !== undefined
      ? createMetrics({ services: servedServices, poolSize: config.dbPoolSize })
      : undefined;
  // Without an OTLP endpoint the SDK is not even loaded (docs/operations.md).
  const tracing = config.otlpTracesUrl
    ? (await import("./observability/tracing.js")).startTracing({ url: config.otlpTracesUrl, log })
    : undefined;
  const statements =
    metrics || tracing
      ? createStatementObserver({ settled: metrics?.statementSettled, started: tracing?.statementStarted })
      : undefined;

  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    monitorHealth: true,
    log,
    observer: statements,
  });
  const { sql, health } = db;
  if (metrics && statements) metrics.watchDatabase(statements, health);
  try {
    await migrate(sql, { log });
    if (db.startedEmbedded) await ensureDefaultOrganization(sql, config.dataDir, log);
  } catch (error) {
    await db.close();
    throw error;
  }

  const keyRing = createKeyRing(config.secretKeys ?? (await embeddedSecretKeys(config, db.startedEmbedded)));
  // Secrets older versions stored in plaintext, which the migrations cannot encrypt.
  await encryptPlaintextMetricsPasswords(sql, keyRing, log);
  const server = build({ config, sql, log, keyRing, health, metrics, tracer: tracing?.rpc });
  const metricsServer =
    metrics && config.metricsPort !== undefined
      ? await startMetricsServer(
          createMetricsEndpoint(metrics, config.metricsToken),
          config.metricsPort,
          config.metricsHost,
        )
      : undefined;
  if (metricsServer) {
    log.info("serving metrics", { host: metricsServer.address.address, port: metricsServer.address.port });
  }
  if (tracing && config.otlpTracesUrl) {
    // Origin and path only: user info or a query string may hold a credential.
    const { origin, pathname } = new URL(config.otlpTracesUrl);
    log.info("exporting traces", { otlp_traces_url: `${origin}${pathname}` });
  }
  const address = await server.listen(config.port, config.host);
  log.info("listening", { host: address.address, port: address.port, public_url: config.publicUrl });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn("second signal, exiting now", { signal });
      process.exit(1);
    }
    stopping = true;
    log.info("shutting down", { signal });
    await server.close();
    await metricsServer?.close();
    // After the server: the last calls' spans have ended and go out with the rest.
    await tracing?.shutdown().catch(() => {});
    await db.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", (s) => void shutdown(s));
  process.on("SIGINT", (s) => void shutdown(s));
}

/**
 * Without RUNNERPLANE_SECRET_KEYS: the embedded default keeps a generated key in its data
 * directory; with an external database a key must be configured (secrets would otherwise be
 * unreadable after a restart on another machine).
 */
async function embeddedSecretKeys(config: Config, embedded: boolean) {
  if (!embedded) {
    throw new ConfigError(
      "RUNNERPLANE_SECRET_KEYS is required with DATABASE_URL; create one with: node -e \"console.log('k1:'+require('crypto').randomBytes(32).toString('base64'))\"",
    );
  }
  const file = path.join(config.dataDir, "secret-keys");
  try {
    return parseSecretKeys(await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    const key = generateSecretKey("embedded-1");
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: "wx" });
    return parseSecretKeys(key);
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : (error as Error)?.message;
  process.stderr.write(`runnerplane: failed to start: ${message}\n`);
  if (!(error instanceof ConfigError)) process.stderr.write(`${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
