import postgres from "postgres";
import type { DatabaseHealth } from "./health.js";
import { createQueryGuard, type QueryHook } from "./query-guard.js";
import type { StatementObserver } from "./statement-observer.js";

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
  /** The database's reachability, so requests fail at once while it is down (db/health.ts). */
  health?: DatabaseHealth | undefined;
  /** How long a new connection may take to be ready, in ms (default 5 000). */
  connectTimeoutMs?: number | undefined;
  /** Sees every statement the guard lets through, for metrics and tracing (db/statement-observer.ts). */
  observer?: StatementObserver | undefined;
}

/**
 * Delay before a pool connection tries again after its connection failed, in seconds.
 * postgres.js's default grows with every failure the pool ever saw (3^n / 100 s, up to
 * 20 s, never reset), so a few seconds of outage left requests waiting 10–20 s after the
 * database was back. A short jittered delay keeps a down database from being hammered
 * while a recovery is noticed within a fraction of a second.
 */
const reconnectDelaySeconds = () => 0.1 + Math.random() * 0.15;

/**
 * Opens a connection pool. postgres.js connects lazily and reconnects by itself, so a
 * Postgres restart costs the requests made while it is down (they fail with
 * `unavailable`, see errors/error-mapping.ts) and nothing after. Every statement passes
 * the query guard (db/query-guard.ts), which ties it to its request.
 */
export function createSql(url: string, options: SqlOptions): Sql {
  const guard: QueryHook = createQueryGuard(options.health);
  const observer = options.observer;
  const onquery: QueryHook = observer
    ? (query, kind) => {
        if (!guard(query, kind)) return false;
        observer.observe(query, kind);
        return true;
      }
    : guard;
  const sql = postgres(url, {
    max: options.max,
    // A refused connection fails at once; an unreachable host gives up after 5 s rather
    // than postgres.js's 30 s default. Requests do not wait that long: the health probe
    // notices an unreachable database within about a second and fails their statements.
    connect_timeout: (options.connectTimeoutMs ?? 5_000) / 1000,
    idle_timeout: 60,
    backoff: reconnectDelaySeconds,
    onquery,
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

/** A LIKE pattern matching `search` as a literal substring: its wildcards and escape match themselves. */
export function containsPattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
