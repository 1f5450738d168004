/**
 * Tracing over the real server and a real Postgres, spans caught by an in-memory exporter:
 * a server span per call with the RPC conventions, in the caller's trace, its database
 * statements as children, and its trace id in the request's log line. (The OTLP export
 * itself, from the real process, is tested in main-process.test.ts.)
 */
import { randomBytes } from "node:crypto";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createSql, createStatementObserver, type Sql } from "../db/index.js";
import {
  bearer,
  callError,
  createTestDatabase,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from "../testing/index.js";
import { startTracing, type Tracing } from "./tracing.js";

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let db: TestDatabase;
let sql: Sql;
let server: TestServer;
let org: SeededOrganization;

beforeAll(async () => {
  tracing = startTracing({ spanProcessor: new SimpleSpanProcessor(exporter) });
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 5, observer: createStatementObserver({ started: tracing.statementStarted }) });
  server = await startTestServer({ sql, tracer: tracing.rpc });
  org = await seedOrganization(db.sql);
});

afterAll(async () => {
  await server?.close();
  await sql?.end({ timeout: 5 });
  await db?.drop();
  await tracing?.shutdown();
});

beforeEach(() => exporter.reset());

const identity = (transport: Transport) => createClient(IdentityService, transport);
const connect = (headers: Record<string, string> = {}, token: string | undefined = org.admin.token) =>
  createConnectTransport({
    baseUrl: server.baseUrl,
    httpVersion: "1.1",
    interceptors: [
      ...(token ? [bearer(token)] : []),
      (next) => (req) => {
        for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
        return next(req);
      },
    ],
  });

/** A caller's span context, as a traceparent header carries it. */
function callerContext() {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const serverSpans = () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);

async function oneServerSpan(): Promise<ReadableSpan> {
  await vi.waitFor(() => expect(serverSpans()).toHaveLength(1));
  return serverSpans()[0] as ReadableSpan;
}

describe("the server span of a call", () => {
  it("continues the caller's trace, follows the RPC conventions, and its trace id is logged", async () => {
    const caller = callerContext();
    const before = server.logs.length;
    await identity(connect({ traceparent: caller.traceparent })).getAuthenticatedIdentity({});
    const span = await oneServerSpan();
    expect(span.spanContext().traceId).toBe(caller.traceId);
    expect(span.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(span.name).toBe("gitpod.v1.IdentityService/GetAuthenticatedIdentity");
    expect(span.attributes).toEqual({
      "rpc.system": "connect_rpc",
      "rpc.service": "gitpod.v1.IdentityService",
      "rpc.method": "GetAuthenticatedIdentity",
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.resource.attributes["service.name"]).toBe("runnerplane");

    await vi.waitFor(() => expect(server.logs.slice(before).some((l) => l.msg === "request")).toBe(true));
    expect(server.logs.slice(before).find((l) => l.msg === "request")).toMatchObject({
      procedure: "gitpod.v1.IdentityService/GetAuthenticatedIdentity",
      trace_id: caller.traceId,
    });
  });

  it("starts a trace of its own without a traceparent", async () => {
    const before = server.logs.length;
    await identity(connect()).getAuthenticatedIdentity({});
    const span = await oneServerSpan();
    expect(span.parentSpanContext).toBeUndefined();
    await vi.waitFor(() => expect(server.logs.slice(before).some((l) => l.msg === "request")).toBe(true));
    expect(server.logs.slice(before).find((l) => l.msg === "request")?.trace_id).toBe(span.spanContext().traceId);
  });

  it("carries the gRPC status code over gRPC, the Connect error code over Connect", async () => {
    const grpc = identity(createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [bearer(org.admin.token)] }));
    await grpc.getAuthenticatedIdentity({});
    expect((await oneServerSpan()).attributes).toMatchObject({ "rpc.system": "grpc", "rpc.grpc.status_code": 0 });
    exporter.reset();

    const anonymousGrpc = identity(createGrpcTransport({ baseUrl: server.baseUrl }));
    expect((await callError(anonymousGrpc.getAuthenticatedIdentity({}))).code).toBe(Code.Unauthenticated);
    const refused = await oneServerSpan();
    expect(refused.attributes["rpc.grpc.status_code"]).toBe(Code.Unauthenticated);
    // A client's mistake is not the server's failure.
    expect(refused.status.code).toBe(SpanStatusCode.UNSET);
    exporter.reset();

    const runners = createClient(RunnerService, connect());
    expect((await callError(runners.getRunner({ runnerId: "not-a-uuid" }))).code).toBe(Code.InvalidArgument);
    expect((await oneServerSpan()).attributes).toMatchObject({
      "rpc.system": "connect_rpc",
      "rpc.connect_rpc.error_code": "invalid_argument",
    });
  });

  it("has the call's database statements as children", async () => {
    const caller = callerContext();
    await identity(connect({ traceparent: caller.traceparent })).getAuthenticatedIdentity({});
    const span = await oneServerSpan();
    const statements = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.spanContext().traceId).toBe(caller.traceId);
      expect(statement.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
      expect(statement.attributes["db.system.name"]).toBe("postgresql");
      expect(statement.attributes["db.query.text"]).toMatch(/^\s*(select|update|insert|with|begin|commit)/i);
      expect(statement.name).toBe(statement.attributes["db.operation.name"]);
    }
    // The token is looked up by its hash; no value the caller sent is in any statement text.
    expect(JSON.stringify(statements.map((s) => s.attributes))).not.toContain(org.admin.token);
  });

  it("is not made for a path that is not a served method", async () => {
    await fetch(`${server.baseUrl}/no/such/path`, { headers: { traceparent: callerContext().traceparent } });
    await fetch(`${server.baseUrl}/healthz`);
    await new Promise((r) => setTimeout(r, 50));
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe("RpcSpan.end", () => {
  it("marks the span failed only for codes that are the server's failure", () => {
    const local = new InMemorySpanExporter();
    const t = startTracing({ spanProcessor: new SimpleSpanProcessor(local) });
    const method = IdentityService.method.getAuthenticatedIdentity;
    for (const code of [Code.Internal, Code.Unavailable, Code.DeadlineExceeded, Code.NotFound, Code.Canceled]) {
      t.rpc.start(method, "grpc-web", {}).end(code);
    }
    t.rpc.start(method, "connect", {}).end("ok");
    const ended = local.getFinishedSpans();
    expect(ended.map((s) => [s.attributes["rpc.grpc.status_code"], s.status.code, s.attributes["error.type"]])).toEqual(
      [
        [Code.Internal, SpanStatusCode.ERROR, "internal"],
        [Code.Unavailable, SpanStatusCode.ERROR, "unavailable"],
        [Code.DeadlineExceeded, SpanStatusCode.ERROR, "deadline_exceeded"],
        [Code.NotFound, SpanStatusCode.UNSET, undefined],
        [Code.Canceled, SpanStatusCode.UNSET, undefined],
        [undefined, SpanStatusCode.UNSET, undefined],
      ],
    );
    expect(ended.at(-1)?.attributes["rpc.connect_rpc.error_code"]).toBeUndefined();
  });
});

describe("a server without a tracer", () => {
  it("logs no trace id, even for a call that sent a traceparent", async () => {
    const plain = await startTestServer({ sql: db.sql });
    try {
      const client = identity(
        createConnectTransport({
          baseUrl: plain.baseUrl,
          httpVersion: "1.1",
          interceptors: [
            bearer(org.admin.token),
            (next) => (req) => {
              req.header.set("traceparent", callerContext().traceparent);
              return next(req);
            },
          ],
        }),
      );
      await client.getAuthenticatedIdentity({});
      await vi.waitFor(() => expect(plain.logs.some((l) => l.msg === "request")).toBe(true));
      const line = plain.logs.find((l) => l.msg === "request");
      expect(line).toBeDefined();
      expect(line).not.toHaveProperty("trace_id");
    } finally {
      await plain.close();
    }
  });
});
