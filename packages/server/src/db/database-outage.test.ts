/**
 * Postgres going away while the server runs: requests that need the database get
 * `unavailable` (never `internal`) within about a second, with Retry-After; /readyz says
 * 503 at once; the process keeps serving; and once Postgres is back the same process
 * recovers by itself within about a second. Runs on a cluster of its own so it can stop
 * it. (fault.test.ts does the same under write load, with the server as its own process.)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectErrorFromDatabase } from "../errors/index.js";
import { silentLogger } from "../logging/index.js";
import { bearer, callError, seedOrganization, startTestServer, type TestServer } from "../testing/index.js";
import { createDatabaseIfMissing } from "./databases.js";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres.js";
import { createDatabaseHealth, type DatabaseHealth } from "./health.js";
import { migrate } from "./migrate.js";
import { createSql, type Sql } from "./sql.js";

let dir: string;
let pg: EmbeddedPostgres;
let sql: Sql;
let health: DatabaseHealth;
let server: TestServer;
let token: string;

/** An authenticated call: authentication alone reads the database. */
const whoAmI = () =>
  fetch(`${server.baseUrl}/gitpod.v1.IdentityService/GetAuthenticatedIdentity`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: "{}",
  });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "runnerplane-outage-"));
  pg = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true, log: silentLogger });
  await createDatabaseIfMissing(pg.url("postgres"), "runnerplane");
  health = createDatabaseHealth(pg.url("runnerplane"), { log: silentLogger });
  sql = createSql(pg.url("runnerplane"), { max: 2, health });
  await migrate(sql);
  server = await startTestServer({ sql, health });
  token = (await seedOrganization(sql)).admin.token;
});

afterAll(async () => {
  await server?.close();
  await health?.close();
  await sql?.end({ timeout: 1 });
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("a database outage", () => {
  it("turns into unavailable while Postgres is down, and heals when it is back", async () => {
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);

    await pg.stop();

    const timed = async <T>(fn: () => Promise<T>) => {
      const started = performance.now();
      const value = await fn();
      return { value, ms: performance.now() - started };
    };
    const { value: notReady, ms: readyzIn } = await timed(() => fetch(`${server.baseUrl}/readyz`));
    expect(notReady.status).toBe(503);
    expect(readyzIn).toBeLessThan(1_200);
    expect(((await notReady.json()) as { code: string }).code).toBe("unavailable");
    const failure = await sql`select 1`.catch((e: unknown) => e);
    expect(connectErrorFromDatabase(failure)?.code).toBe(Code.Unavailable);
    // A method call, which needs the database to authenticate, fails with unavailable.
    const { value: during, ms: failedIn } = await timed(whoAmI);
    expect(during.status).toBe(503);
    expect(during.headers.get("retry-after")).toBe("1");
    expect(((await during.json()) as { code: string }).code).toBe("unavailable");
    expect(failedIn).toBeLessThan(1_500);
    // The same over gRPC, with Retry-After in the trailers.
    const grpc = createClient(
      IdentityService,
      createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [bearer(token)] }),
    );
    const grpcError = await callError(grpc.getAuthenticatedIdentity({}));
    expect(grpcError.code).toBe(Code.Unavailable);
    expect(grpcError.metadata.get("retry-after")).toBe("1");
    // The process is alive and still answers everything that needs no database.
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    const rpc = await fetch(`${server.baseUrl}/gitpod.v1.RunnerService/GetRunner`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ runnerId: "nope" }),
    });
    expect(rpc.status).toBe(401); // no token: answered without the database

    await pg.start();
    const back = performance.now();

    await expect.poll(async () => (await whoAmI()).status, { timeout: 5_000, interval: 50 }).toBe(200);
    // About a second after Postgres is back (a margin for a loaded CI machine).
    expect(performance.now() - back).toBeLessThan(2_000);
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
  });
});
