/**
 * grpc.health.v1.Health over real gRPC (HTTP/2, no bearer token) against the real server:
 * SERVING while Postgres is up, NOT_SERVING while it is stopped, SERVING again after; Watch
 * follows those changes and ends with NOT_SERVING when the server shuts down. Runs on a
 * Postgres cluster of its own so it can stop it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Code, ConnectError, createClient, createHandlerContext } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "@runnerplane/api/grpc/health/v1/health_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseIfMissing } from "../db/databases.js";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../db/embedded-postgres.js";
import { createDatabaseHealth, type DatabaseHealth } from "../db/health.js";
import { migrate } from "../db/migrate.js";
import { createSql, type Sql } from "../db/sql.js";
import { silentLogger } from "../logging/index.js";
import { servedServices } from "../routes.js";
import { callError, startTestServer, type TestServer } from "../testing/index.js";
import { createHealthService } from "./health-service.js";

let dir: string;
let pg: EmbeddedPostgres;
let sql: Sql;
let health: DatabaseHealth;
let server: TestServer;

const healthClient = (baseUrl: string) => createClient(Health, createGrpcTransport({ baseUrl }));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "runnerplane-health-"));
  pg = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true, log: silentLogger });
  await createDatabaseIfMissing(pg.url("postgres"), "runnerplane");
  health = createDatabaseHealth(pg.url("runnerplane"), { log: silentLogger });
  sql = createSql(pg.url("runnerplane"), { max: 2, health });
  await migrate(sql);
  server = await startTestServer({ sql, health });
});

afterAll(async () => {
  await server?.close();
  await health?.close();
  await sql?.end({ timeout: 1 });
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("Health.Check", () => {
  it("answers SERVING for the whole server and for every served service, without a token", async () => {
    const client = healthClient(server.baseUrl);
    for (const service of ["", ...servedServices.map((s) => s.typeName)]) {
      expect((await client.check({ service })).status, service).toBe(Status.SERVING);
    }
  });

  it("logs its calls at debug level, as /healthz and /readyz, since probes come every few seconds", async () => {
    await healthClient(server.baseUrl).check({ service: "" });
    const lines = () => server.logs.filter((l) => l.procedure === "grpc.health.v1.Health/Check");
    // The line is written when the response closes, which may be just after the client has it.
    await expect.poll(() => lines().length).toBeGreaterThan(0);
    expect(lines().every((l) => l.level === "debug")).toBe(true);
  });

  it("answers NOT_FOUND for a service this server does not serve", async () => {
    const error = await callError(healthClient(server.baseUrl).check({ service: "gitpod.v1.EnvironmentService" }));
    expect(error.code).toBe(Code.NotFound);
  });

  it("lists every served service with its status", async () => {
    const { statuses } = await healthClient(server.baseUrl).list({});
    expect(Object.keys(statuses).sort()).toEqual(["", ...servedServices.map((s) => s.typeName)].sort());
    expect(Object.values(statuses).every((s) => s.status === Status.SERVING)).toBe(true);
  });
});

describe("Health with Postgres stopped and started again", () => {
  it("turns NOT_SERVING while the database is down and SERVING once it is back, for Check and Watch", async () => {
    const client = healthClient(server.baseUrl);
    const watching = new AbortController();
    const seen: Status[] = [];
    const watch = (async () => {
      for await (const res of client.watch({ service: "gitpod.v1.RunnerService" }, { signal: watching.signal })) {
        seen.push(res.status);
      }
    })().catch((error: unknown) => error);
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual([Status.SERVING]);

    await pg.stop();
    expect((await client.check({ service: "" })).status).toBe(Status.NOT_SERVING);
    expect((await client.check({ service: "gitpod.v1.RunnerService" })).status).toBe(Status.NOT_SERVING);
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual([Status.SERVING, Status.NOT_SERVING]);

    await pg.start();
    await expect
      .poll(async () => (await client.check({ service: "" })).status, { timeout: 10_000, interval: 100 })
      .toBe(Status.SERVING);
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual([Status.SERVING, Status.NOT_SERVING, Status.SERVING]);

    watching.abort();
    expect(ConnectError.from(await watch).code).toBe(Code.Canceled);
  });
});

describe("Health.Watch", () => {
  it("says SERVICE_UNKNOWN for a service this server does not serve, without failing the call", async () => {
    const watching = new AbortController();
    const stream = healthClient(server.baseUrl).watch({ service: "no.such.Service" }, { signal: watching.signal });
    const first = await stream[Symbol.asyncIterator]().next();
    expect(first.done).toBe(false);
    expect(first.value?.status).toBe(Status.SERVICE_UNKNOWN);
    watching.abort();
  });

  it("sends NOT_SERVING and ends when the server shuts down", async () => {
    const own = await startTestServer({ sql, health });
    const seen: Status[] = [];
    let ended = false;
    const watch = (async () => {
      for await (const res of healthClient(own.baseUrl).watch({ service: "" })) seen.push(res.status);
      ended = true;
    })();
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual([Status.SERVING]);
    await own.close();
    await watch;
    expect(ended).toBe(true);
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
  });
});

describe("createHealthService", () => {
  it("answers NOT_SERVING once shutdown has begun, even while the database is ready", async () => {
    const shutdown = new AbortController();
    const service = createHealthService({
      services: ["gitpod.v1.RunnerService"],
      ready: async () => ({ ok: true }),
      shutdown: shutdown.signal,
    });
    const context = createHandlerContext({
      service: Health,
      method: Health.method.check,
      protocolName: "connect",
      requestMethod: "POST",
      url: "http://localhost/grpc.health.v1.Health/Check",
    });
    const call = (name: string) =>
      service.check({ $typeName: "grpc.health.v1.HealthCheckRequest", service: name }, context);
    expect((await call("gitpod.v1.RunnerService")).status).toBe(Status.SERVING);
    shutdown.abort();
    expect((await call("gitpod.v1.RunnerService")).status).toBe(Status.NOT_SERVING);
    expect((await call("")).status).toBe(Status.NOT_SERVING);
  });
});

describe("Health.Watch watchers", () => {
  const watchContext = (signal: AbortSignal) =>
    createHandlerContext({
      service: Health,
      method: Health.method.watch,
      protocolName: "grpc",
      requestMethod: "POST",
      url: "http://localhost/grpc.health.v1.Health/Watch",
      requestSignal: signal,
    });
  const request = { $typeName: "grpc.health.v1.HealthCheckRequest", service: "" } as const;

  it("share one readiness probe per interval however many watch, and stop probing when none does", async () => {
    const probes: (() => void)[] = [];
    const service = createHealthService({
      services: [],
      ready: () => new Promise((resolve) => probes.push(() => resolve({ ok: true }))),
      shutdown: new AbortController().signal,
      watchIntervalMs: 20,
    });
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const streams = controllers.map((c) => service.watch(request, watchContext(c.signal))[Symbol.asyncIterator]());
    const firsts = streams.map((s) => s.next());
    await expect.poll(() => probes.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(probes.length).toBe(1); // five watchers, one probe in flight
    probes[0]?.();
    for (const first of await Promise.all(firsts)) expect(first.value?.status).toBe(Status.SERVING);
    await expect.poll(() => probes.length).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(probes.length).toBe(2); // the next interval: still one probe for all
    for (const c of controllers) c.abort();
    await Promise.all(streams.map((s) => s.next()));
    probes[1]?.();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(probes.length).toBe(2); // nobody watches: no more probes
  });

  it("are capped: one beyond the limit is resource_exhausted, and a closed one frees its place", async () => {
    const service = createHealthService({
      services: [],
      ready: async () => ({ ok: true }),
      shutdown: new AbortController().signal,
      maxWatchers: 2,
    });
    const open = () => {
      const c = new AbortController();
      return { c, it: service.watch(request, watchContext(c.signal))[Symbol.asyncIterator]() };
    };
    const a = open();
    const b = open();
    expect((await a.it.next()).value?.status).toBe(Status.SERVING);
    expect((await b.it.next()).value?.status).toBe(Status.SERVING);
    const error = await open()
      .it.next()
      .then(() => undefined, ConnectError.from);
    expect(error?.code).toBe(Code.ResourceExhausted);
    a.c.abort();
    await a.it.next();
    const d = open();
    expect((await d.it.next()).value?.status).toBe(Status.SERVING);
    b.c.abort();
    d.c.abort();
    await Promise.all([b.it.next(), d.it.next()]);
  });
});
