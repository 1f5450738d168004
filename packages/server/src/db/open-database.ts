/**
 * The database a process works on, as configured: DATABASE_URL when set, otherwise the
 * embedded Postgres in the data directory (started here, or — for the CLI — the one a
 * running server already started). Shared by the server's and the CLI's entry points.
 */
import type { Logger } from "../logging/index.js";
import { createDatabaseIfMissing } from "./databases.js";
import { findRunningEmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres.js";
import { createDatabaseHealth, type DatabaseHealth } from "./health.js";
import { createSql, type Sql } from "./sql.js";
import type { StatementObserver } from "./statement-observer.js";

export interface OpenDatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize: number;
  log: Logger;
  /** Use the embedded Postgres of a running server instead of failing (the CLI does). */
  shareRunning?: boolean;
  /** Watch the database's reachability (db/health.ts); the server does, the CLI does not. */
  monitorHealth?: boolean;
  /** How long a new pool connection may take, in ms. */
  connectTimeoutMs?: number | undefined;
  /** Sees the pool's statements, for metrics and tracing (db/statement-observer.ts). */
  observer?: StatementObserver | undefined;
}

export interface OpenedDatabase {
  sql: Sql;
  /** Present when `monitorHealth` was asked for. */
  health: DatabaseHealth | undefined;
  /** True when this process started the embedded Postgres (and stops it on close). */
  startedEmbedded: boolean;
  close(): Promise<void>;
}

/** Name of the database inside the embedded cluster. */
const embeddedDatabase = "runnerplane";

export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  const pool = (url: string) => {
    const health = options.monitorHealth ? createDatabaseHealth(url, { log: options.log }) : undefined;
    const sql = createSql(url, {
      max: options.poolSize,
      health,
      connectTimeoutMs: options.connectTimeoutMs,
      observer: options.observer,
    });
    const close = async () => {
      await health?.close();
      await sql.end({ timeout: 5 });
    };
    return { sql, health, close };
  };
  if (options.databaseUrl) return { ...pool(options.databaseUrl), startedEmbedded: false };
  const running = options.shareRunning ? await findRunningEmbeddedPostgres(options.dataDir) : undefined;
  if (running) return { ...pool(running.url(embeddedDatabase)), startedEmbedded: false };
  const embedded = await startEmbeddedPostgres({ dataDir: options.dataDir, log: options.log });
  await createDatabaseIfMissing(embedded.url("postgres"), embeddedDatabase);
  options.log.info("using the embedded postgres", { data_dir: options.dataDir, port: embedded.port });
  const { sql, health, close } = pool(embedded.url(embeddedDatabase));
  return {
    sql,
    health,
    startedEmbedded: true,
    close: async () => {
      await close();
      await embedded.stop();
    },
  };
}
