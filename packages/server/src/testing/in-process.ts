/**
 * The real services and interceptors behind an in-memory transport: what a client would
 * get from the server, without HTTP. Used to set up test data through the API.
 */
import { createRouterTransport } from "@connectrpc/connect";
import { type Clock, systemClock } from "../clock.js";
import { createReadiness, type Sql } from "../db/index.js";
import { silentLogger } from "../logging/index.js";
import { createRelay } from "../relay/index.js";
import { interceptors, routes, serviceDeps } from "../routes.js";
import { signInDefaults } from "../sign-in/settings.js";
import { type Clients, clientsOver } from "./access-matrix.js";
import { bearer } from "./seed.js";
import { testKeyRing, testServerConfig } from "./server.js";

export function inProcessClients(sql: Sql, token: string | undefined, clock: Clock = systemClock): Clients {
  const deps = serviceDeps({
    sql,
    clock,
    log: silentLogger,
    keyRing: testKeyRing,
    publicUrl: testServerConfig.publicUrl,
    relay: createRelay({ sql, clock, log: silentLogger }),
    signIn: signInDefaults,
  });
  const transport = createRouterTransport(
    (router) =>
      routes(router, deps, { ready: createReadiness(sql, undefined), shutdown: new AbortController().signal }),
    {
      router: { interceptors: interceptors(deps) },
      transport: { interceptors: token ? [bearer(token)] : [] },
    },
  );
  return clientsOver(transport);
}
