/**
 * The database a process works on, as configured: DATABASE_URL when set, otherwise the
 * embedded Postgres in the data directory (started here, or — for the CLI — the one a
 * running server already started). Shared by the server's and the CLI's entry points.
 */
import type { Logger } from "../logging/index.js";
import { createDatabaseIfMissing } from "./databases.js";
import { findRunningEmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres.js";
import { createSql, type Sql } from "./sql.js";

export interface OpenDatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize: number;
  log: Logger;
  /** Use the embedded Postgres of a running server instead of failing (the CLI does). */
  shareRunning?: boolean;
}

export interface OpenedDatabase {
  sql: Sql;
  /** True when this process started the embedded Postgres (and stops it on close). */
  startedEmbedded: boolean;
  close(): Promise<void>;
}

/** Name of the database inside the embedded cluster. */
const embeddedDatabase = "runnerplane";

export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  if (options.databaseUrl) {
    const sql = createSql(options.databaseUrl, { max: options.poolSize });
    return { sql, startedEmbedded: false, close: () => sql.end({ timeout: 5 }) };
  }
  const running = options.shareRunning ? await findRunningEmbeddedPostgres(options.dataDir) : undefined;
  if (running) {
    const sql = createSql(running.url(embeddedDatabase), { max: options.poolSize });
    return { sql, startedEmbedded: false, close: () => sql.end({ timeout: 5 }) };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: options.dataDir, log: options.log });
  await createDatabaseIfMissing(embedded.url("postgres"), embeddedDatabase);
  options.log.info("using the embedded postgres", { data_dir: options.dataDir, port: embedded.port });
  const sql = createSql(embedded.url(embeddedDatabase), { max: options.poolSize });
  return {
    sql,
    startedEmbedded: true,
    close: async () => {
      await sql.end({ timeout: 5 });
      await embedded.stop();
    },
  };
}
