/**
 * Entry point: reads configuration (the only file that touches process.env), starts the
 * embedded Postgres when no DATABASE_URL is given, applies migrations, listens, and shuts
 * down gracefully on SIGTERM/SIGINT.
 */

import { ensureDefaultOrganization } from "./admin/default-organization.js";
import { ConfigError, loadConfig } from "./config.js";
import { migrate, openDatabase } from "./db/index.js";
import { createLogger } from "./logging/index.js";
import { build } from "./server.js";

async function main(): Promise<void> {
  // INIT_CWD: where the user ran `pnpm start`, so relative paths mean what they typed.
  const config = loadConfig(process.env, process.env.INIT_CWD ?? process.cwd());
  const log = createLogger({ level: config.logLevel });

  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
    log,
  });
  const { sql } = db;
  try {
    await migrate(sql, { log });
    if (db.startedEmbedded) await ensureDefaultOrganization(sql, config.dataDir, log);
  } catch (error) {
    await db.close();
    throw error;
  }

  const server = build({ config, sql, log });
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
    await db.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", (s) => void shutdown(s));
  process.on("SIGINT", (s) => void shutdown(s));
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : (error as Error)?.message;
  process.stderr.write(`runnerplane: failed to start: ${message}\n`);
  if (!(error instanceof ConfigError)) process.stderr.write(`${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
