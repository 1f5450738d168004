/**
 * /metrics over the real server and a real Postgres: where it is served and to whom, and
 * that real calls over each protocol, a runner's stream, relayed calls and the pool move
 * the right series with bounded labels.
 */
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerInteractionService } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createDatabaseHealth,
  createSql,
  createStatementObserver,
  type DatabaseHealth,
  type Sql,
} from "../db/index.js";
import { silentLogger } from "../logging/index.js";
import { services } from "../routes.js";
import {
  bearer,
  callError,
  createTestDatabase,
  createTestRunner,
  parseExposition,
  type Sample,
  type SeededOrganization,
  samplesOf,
  sampleValue,
  seedOrganization,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from "../testing/index.js";
import {
  createMetrics,
  createMetricsEndpoint,
  type Metrics,
  type MetricsServer,
  startMetricsServer,
  unknownProcedure,
} from "./index.js";

const metricsToken = "metrics-token-for-tests-0123456789";
const identity = "gitpod.v1.IdentityService/GetAuthenticatedIdentity";

let db: TestDatabase;
let sql: Sql;
let health: DatabaseHealth;
let metrics: Metrics;
let server: TestServer;
let metricsServer: MetricsServer;
let org: SeededOrganization;

beforeAll(async () => {
  db = await createTestDatabase();
  metrics = createMetrics({ services, poolSize: 5 });
  const observer = createStatementObserver({ settled: metrics.statementSettled });
  health = createDatabaseHealth(db.url, { log: silentLogger });
  // The server's pool, observed as main.ts observes it.
  sql = createSql(db.url, { max: 5, observer, health });
  metrics.watchDatabase(observer, health);
  server = await startTestServer({ sql, health, metrics, config: { metricsToken } });
  metricsServer = await startMetricsServer(createMetricsEndpoint(metrics, undefined), 0, "127.0.0.1");
  org = await seedOrganization(db.sql);
});

afterAll(async () => {
  await metricsServer?.close();
  await server?.close();
  await health?.close();
  await sql?.end({ timeout: 5 });
  await db?.drop();
});

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${metricsServer.address.port}/metrics`);
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

const identityOver = (transport: Transport) => createClient(IdentityService, transport);
const authenticated = () => ({ interceptors: [bearer(org.admin.token)] });

describe("/metrics on the public port", () => {
  it("answers 404 like any unknown path when no metrics token is configured", async () => {
    const plain = await startTestServer({ sql: db.sql, metrics: createMetrics({ services, poolSize: 5 }) });
    try {
      const res = await fetch(`${plain.baseUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ code: "not_found", message: "no such method or path: /metrics" });
    } finally {
      await plain.close();
    }
  });

  it("asks for the metrics token, and serves the Prometheus text format with it", async () => {
    const missing = await fetch(`${server.baseUrl}/metrics`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    expect((await missing.json()) as unknown).toMatchObject({ code: "unauthenticated" });
    const wrong = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: "Bearer not-the-token" } });
    expect(wrong.status).toBe(401);
    // An API token is no metrics token.
    const api = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${org.admin.token}` } });
    expect(api.status).toBe(401);

    const res = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const samples = parseExposition(await res.text());
    expect(sampleValue(samples, "runnerplane_db_pool_size")).toBe(5);
  });

  it("is logged at debug level and not counted as a request", async () => {
    const before = server.logs.length;
    await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    await vi.waitFor(() => expect(server.logs.slice(before).some((l) => l.path === "/metrics")).toBe(true));
    expect(server.logs.slice(before).find((l) => l.path === "/metrics")).toMatchObject({ level: "debug" });
    expect(samplesOf(await scrape(), "runnerplane_rpc_requests_total", { procedure: "metrics" })).toEqual([]);
  });
});

describe("the metrics port", () => {
  it("serves /metrics and nothing else", async () => {
    const base = `http://127.0.0.1:${metricsServer.address.port}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { method: "HEAD" })).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${base}/gitpod.v1.IdentityService/GetAuthenticatedIdentity`)).status).toBe(404);
  });

  it("asks for the token there too when one is configured", async () => {
    const guarded = await startMetricsServer(createMetricsEndpoint(metrics, metricsToken), 0, "127.0.0.1");
    try {
      const url = `http://127.0.0.1:${guarded.address.port}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${metricsToken}` } })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe("request metrics", () => {
  it("count calls by procedure, protocol and code, and time them", async () => {
    const before = await scrape();
    const count = (samples: Sample[], protocol: string, code: string) =>
      sampleValue(samples, "runnerplane_rpc_requests_total", { procedure: identity, protocol, code }) ?? 0;
    const durationCount = (samples: Sample[]) =>
      sampleValue(samples, "runnerplane_rpc_duration_seconds_count", { procedure: identity }) ?? 0;

    const clients = {
      connect: identityOver(
        createConnectTransport({ ...authenticated(), baseUrl: server.baseUrl, httpVersion: "1.1" }),
      ),
      grpc: identityOver(createGrpcTransport({ ...authenticated(), baseUrl: server.baseUrl })),
      "grpc-web": identityOver(
        createGrpcWebTransport({ ...authenticated(), baseUrl: `${server.baseUrl}/api`, httpVersion: "1.1" }),
      ),
    };
    for (const client of Object.values(clients)) {
      await client.getAuthenticatedIdentity({});
      await client.getAuthenticatedIdentity({});
    }
    const anonymous = identityOver(createGrpcTransport({ baseUrl: server.baseUrl }));
    expect((await callError(anonymous.getAuthenticatedIdentity({}))).code).toBe(Code.Unauthenticated);

    const after = await scrape();
    for (const protocol of ["connect", "grpc", "grpc-web"]) {
      expect(count(after, protocol, "ok") - count(before, protocol, "ok")).toBe(2);
    }
    expect(count(after, "grpc", "unauthenticated") - count(before, "grpc", "unauthenticated")).toBe(1);
    expect(durationCount(after) - durationCount(before)).toBe(7);
    const buckets = samplesOf(after, "runnerplane_rpc_duration_seconds_bucket", { procedure: identity });
    expect(buckets.find((b) => b.labels.le === "+Inf")?.value).toBe(durationCount(after));
    expect(sampleValue(after, "runnerplane_rpc_in_flight_requests", { procedure: identity })).toBe(0);

    // Counts are cumulative: scraping again changes nothing.
    const again = await scrape();
    expect(count(again, "connect", "ok")).toBe(count(after, "connect", "ok"));
  });

  it("give every path that is not a served method one label value, and never an id", async () => {
    const before = await scrape();
    const unknownCount = (samples: Sample[], code: string) =>
      samplesOf(samples, "runnerplane_rpc_requests_total", { procedure: unknownProcedure, code }).reduce(
        (sum, s) => sum + s.value,
        0,
      );
    await fetch(`${server.baseUrl}/no/such/path/6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b`, { method: "POST" });
    await fetch(`${server.baseUrl}/gitpod.v1.NoSuchService/NoSuchMethod`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await fetch(`${server.baseUrl}/api/gitpod.v1.RunnerService/NoSuchMethod`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await fetch(`${server.baseUrl}/healthz`);
    const after = await scrape();
    expect(unknownCount(after, "not_found") - unknownCount(before, "not_found")).toBe(1);
    expect(unknownCount(after, "unimplemented") - unknownCount(before, "unimplemented")).toBe(2);

    const served = new Set(services.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)));
    const procedures = new Set(after.flatMap((s) => (s.labels.procedure === undefined ? [] : [s.labels.procedure])));
    for (const procedure of procedures) expect(served.has(procedure) || procedure === unknownProcedure).toBe(true);
    expect(JSON.stringify(after)).not.toMatch(/NoSuch|6f1d2c3b|healthz/);
  });
});

describe("runner stream and relay metrics", () => {
  it("hold a runner's stream while it is open, and count relayed calls by outcome", async () => {
    const runner = await createTestRunner(server.baseUrl, org.admin.token, { name: "metrics runner" });
    const lonely = await createTestRunner(server.baseUrl, org.admin.token, { name: "never connected" });
    const admin = createClient(
      RunnerService,
      createConnectTransport({ ...authenticated(), baseUrl: server.baseUrl, httpVersion: "1.1" }),
    );
    const watch = "gitpod.v1.RunnerInteractionService/WatchRequests";
    const streams = async () => sampleValue(await scrape(), "runnerplane_relay_runner_streams");
    const relayCalls = (samples: Sample[], outcome: string) =>
      sampleValue(samples, "runnerplane_relay_calls_total", { outcome }) ?? 0;
    const before = await scrape();
    expect(sampleValue(before, "runnerplane_relay_runner_streams")).toBe(0);

    // A runner that answers ParseContextURL, over a gRPC stream.
    const interaction = createClient(
      RunnerInteractionService,
      createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [bearer(runner.token)] }),
    );
    const stop = new AbortController();
    const loop = (async () => {
      try {
        for await (const message of interaction.watchRequests({ runnerId: runner.runnerId }, { signal: stop.signal })) {
          if (message.request.case !== "callParseContext") continue;
          await runner.clients.interaction.sendResponse({
            runnerId: runner.runnerId,
            requestId: message.requestId,
            response: { case: "callParseContext", value: { resp: { originalContextUrl: "https://github.com/a/b" } } },
          });
        }
      } catch {
        // Ended by stop.
      }
    })();
    await vi.waitFor(async () => expect(await streams()).toBe(1), { timeout: 5_000, interval: 20 });
    expect(sampleValue(await scrape(), "runnerplane_rpc_in_flight_requests", { procedure: watch })).toBe(1);

    const parsed = await admin.parseContextURL({ runnerId: runner.runnerId, contextUrl: "https://github.com/a/b" });
    expect(parsed.originalContextUrl).toBe("https://github.com/a/b");
    const notConnected = admin.parseContextURL({ runnerId: lonely.runnerId, contextUrl: "https://github.com/a/b" });
    expect((await callError(notConnected)).code).toBe(Code.Unavailable);
    const during = await scrape();
    expect(relayCalls(during, "answered") - relayCalls(before, "answered")).toBe(1);
    expect(relayCalls(during, "not_connected") - relayCalls(before, "not_connected")).toBe(1);
    // Every outcome is there from the start; durations per outcome.
    for (const outcome of ["runner_error", "timeout", "canceled", "failed"]) {
      expect(sampleValue(during, "runnerplane_relay_calls_total", { outcome })).toBeDefined();
    }
    expect(
      sampleValue(during, "runnerplane_relay_call_duration_seconds_count", { outcome: "answered" }),
    ).toBeGreaterThan(0);

    stop.abort();
    await loop;
    await vi.waitFor(async () => expect(await streams()).toBe(0), { timeout: 5_000, interval: 20 });
    await vi.waitFor(
      async () => {
        const after = await scrape();
        expect(sampleValue(after, "runnerplane_rpc_in_flight_requests", { procedure: watch })).toBe(0);
        expect(
          sampleValue(after, "runnerplane_rpc_requests_total", {
            procedure: watch,
            protocol: "grpc",
            code: "canceled",
          }),
        ).toBe(1);
      },
      { timeout: 5_000, interval: 20 },
    );
  });
});

describe("database and process metrics", () => {
  it("publish the pool, statement durations and the database's reachability", async () => {
    await identityOver(
      createConnectTransport({ ...authenticated(), baseUrl: server.baseUrl, httpVersion: "1.1" }),
    ).getAuthenticatedIdentity({});
    const samples = await scrape();
    expect(sampleValue(samples, "runnerplane_db_pool_size")).toBe(5);
    expect(sampleValue(samples, "runnerplane_db_pool_connections_in_use")).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, "runnerplane_db_pool_statements_waiting")).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, "runnerplane_db_statement_duration_seconds_count", { outcome: "ok" })).toBeGreaterThan(
      0,
    );
    expect(sampleValue(samples, "runnerplane_db_up")).toBe(1);
  });

  it("include the process's own (prom-client's default metrics)", async () => {
    const samples = await scrape();
    expect(sampleValue(samples, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(sampleValue(samples, "nodejs_heap_size_total_bytes")).toBeGreaterThan(0);
  });
});
