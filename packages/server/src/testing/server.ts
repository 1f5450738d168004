import { randomBytes } from "node:crypto";
/**
 * startTestServer(): the real server (build() from server.ts) on an ephemeral port,
 * against a fresh database of its own. Log lines are collected for assertions.
 */
import type { Clock } from "../clock.js";
import { createKeyRing, type KeyRing } from "../crypto/index.js";
import { freePort } from "../db/embedded-postgres.js";
import type { DatabaseHealth, Sql } from "../db/index.js";
import { createLogger } from "../logging/index.js";
import type { Metrics, RpcTracer } from "../observability/index.js";
import { build, type ServerConfig, type ServerDeps } from "../server.js";
import { countingSql } from "./counting-sql.js";
import { createTestDatabase } from "./database.js";

export interface TestServer {
  /** e.g. http://127.0.0.1:40123 */
  baseUrl: string;
  port: number;
  sql: Sql;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A key ring for tests: one random key per test process. */
export const testKeyRing = createKeyRing([{ id: "test-1", key: randomBytes(32) }]);

export const testServerConfig: ServerConfig = {
  corsOrigins: ["https://app.example.test"],
  maxBodyBytes: 4 * 1024 * 1024,
  requestTimeoutMs: 30_000,
  shutdownTimeoutMs: 2_000,
  runnerDeleteGraceMs: 300_000,
  publicUrl: "http://localhost:8080",
};

export async function startTestServer(
  options: {
    config?: Partial<ServerConfig>;
    sql?: Sql;
    clock?: Clock;
    keyRing?: KeyRing;
    health?: DatabaseHealth;
    metrics?: Metrics;
    tracer?: RpcTracer;
    /**
     * Make `publicUrl` the address the server listens on (browser tests: cookies and origins
     * must match what the browser sees). A free port is found first, then listened on.
     */
    publicUrlIsBaseUrl?: boolean;
    /** Listen on this port (default: any free one), e.g. to make it part of `config.publicUrl`. */
    port?: number;
    /** The lean WatchRequests path: off (`false`) or observed (server.ts). */
    leanWatch?: ServerDeps["leanWatch"];
    /** The lean unary path: off (`false`) or observed (server.ts). */
    leanUnary?: ServerDeps["leanUnary"];
  } = {},
): Promise<TestServer> {
  const port = options.publicUrlIsBaseUrl ? await freePort() : 0;
  const db = options.sql ? undefined : await createTestDatabase();
  const sql = options.sql ?? (db as NonNullable<typeof db>).sql;
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const server = build({
    config: {
      ...testServerConfig,
      ...(options.publicUrlIsBaseUrl ? { publicUrl: `http://127.0.0.1:${port}` } : {}),
      ...options.config,
    },
    sql,
    log,
    keyRing: options.keyRing ?? testKeyRing,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.health ? { health: options.health } : {}),
    metrics: options.metrics,
    tracer: options.tracer,
    leanWatch: options.leanWatch,
    leanUnary: options.leanUnary,
  });
  const address = await server.listen(options.port ?? port, "127.0.0.1");
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    port: address.port,
    sql,
    logs,
    close: async () => {
      await server.close();
      await db?.drop();
    },
  };
}

/**
 * A real server on a fresh database whose pool counts the statements it sends, for tests of
 * what a burst of calls costs. `sql` is the same database uncounted, for seeding; closing
 * the server drops the database.
 */
export async function startCountingServer(): Promise<TestServer & { statements(): number }> {
  const db = await createTestDatabase();
  const counted = countingSql(db.sql);
  const server = await startTestServer({ sql: counted.sql });
  return {
    ...server,
    sql: db.sql,
    statements: counted.statements,
    close: async () => {
      await server.close();
      await db.drop();
    },
  };
}
