import postgres from "postgres";

/** The database handle every service and repository receives. */
export type Sql = postgres.Sql;

export interface SqlOptions {
  /** Maximum pool connections. */
  max: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
  /**
   * Called for every statement sent, for measurement (the bench counts statements per
   * request). It is postgres.js's `debug` hook, which also makes its errors list their
   * parameters: not for production.
   */
  onStatement?: () => void;
}

/**
 * Opens a connection pool. postgres.js connects lazily and reconnects by itself, so a
 * Postgres restart costs the requests made while it is down (they fail with
 * `unavailable`, see errors/error-mapping.ts) and nothing after.
 */
export function createSql(url: string, options: SqlOptions): Sql {
  const sql = postgres(url, {
    max: options.max,
    // A refused connection fails at once; an unreachable host gives up after 10 s
    // rather than postgres.js's 30 s default, well inside a request's deadline.
    connect_timeout: 10,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "runnerplane" },
  });
  if (options.onStatement) {
    // Set on the pool's options after creation rather than passed in: postgres.js decides
    // when the pool is created whether every query captures a stack trace for debugging,
    // which would weigh on the very CPU time the bench measures; the hook itself is read
    // from these options for every statement sent.
    (sql.options as { debug?: unknown }).debug = options.onStatement;
  }
  return sql;
}

/**
 * What repository functions take: the pool or a transaction, so callers decide the
 * transaction boundary (`sql.begin(tx => …)`) and repositories stay composable.
 */
export type Db = Sql | postgres.TransactionSql;
