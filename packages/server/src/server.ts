/**
 * build(): the whole server, assembled but not listening. main.ts listens; tests build
 * one per test file on port 0 against their own database.
 */
import type { AddressInfo } from "node:net";
import { createConnectRouter } from "@connectrpc/connect";
import type { Config } from "./config.js";
import { loadMigrations, migrationsApplied, type Sql } from "./db/index.js";
import { createFrontDoor } from "./http/front-door.js";
import { createListener } from "./http/listener.js";
import type { Logger } from "./logging/index.js";
import { routes } from "./routes.js";
import { createDeadlineInterceptor, createErrorInterceptor, createPaginationQueryInterceptor } from "./rpc/index.js";
import { createValidationInterceptor } from "./validation/index.js";

export type ServerConfig = Pick<
  Config,
  "corsOrigins" | "maxBodyBytes" | "requestTimeoutMs" | "shutdownTimeoutMs" | "publicUrl"
>;

export interface ServerDeps {
  config: ServerConfig;
  sql: Sql;
  log: Logger;
}

export interface Server {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Graceful: stop accepting, finish in-flight requests (bounded by shutdownTimeoutMs). */
  close(): Promise<void>;
}

export function build({ config, sql, log }: ServerDeps): Server {
  const router = createConnectRouter({
    // Order matters: the first interceptor is the outermost. Errors are translated
    // last, after every other layer had its say; validation runs right before the
    // method (authentication, from the identity issue, goes before validation).
    interceptors: [
      createErrorInterceptor(log),
      createDeadlineInterceptor(),
      createPaginationQueryInterceptor(),
      createValidationInterceptor(),
    ],
    readMaxBytes: config.maxBodyBytes,
    // Strict JSON: an unknown enum name is an error. Unknown *fields* are dropped
    // before decoding by the front door (http/json-body.ts).
    jsonOptions: { ignoreUnknownFields: false },
  });
  routes(router);

  const migrations = loadMigrations();
  const listener = createListener(() => frontDoor);
  const frontDoor = createFrontDoor({
    handlers: router.handlers,
    log,
    corsOrigins: config.corsOrigins,
    maxBodyBytes: config.maxBodyBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    closing: () => listener.closing,
    ready: async () => {
      await sql`select 1`;
      return (await migrationsApplied(sql, await migrations))
        ? { ok: true }
        : { ok: false, reason: "database migrations are not applied" };
    },
  });

  return {
    listen: (port, host) => listener.listen(port, host),
    close: () => listener.close(config.shutdownTimeoutMs),
  };
}
