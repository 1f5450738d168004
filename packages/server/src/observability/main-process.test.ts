/**
 * Metrics and tracing as operators switch them on: the real entry point (dist/main.js)
 * configured by its environment only, spans exported over OTLP/HTTP to a receiver in
 * this test process, /metrics scraped where the configuration says.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createTestDatabase,
  type MainProcess,
  parseExposition,
  type SeededOrganization,
  sampleValue,
  seedOrganization,
  startMain,
  startOtlpReceiver,
} from "../testing/index.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const secretKeys = `k1:${Buffer.alloc(32, 1).toString("base64")}`;
const identityPath = "/gitpod.v1.IdentityService/GetAuthenticatedIdentity";

async function database(): Promise<{ url: string; org: SeededOrganization }> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return { url: db.url, org: await seedOrganization(db.sql) };
}

function traceparent() {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

async function callIdentity(server: MainProcess, token: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${server.port}${identityPath}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    body: "{}",
  });
  expect(res.status).toBe(200);
  return res;
}

async function requestLine(server: MainProcess, requestId: string | null) {
  await vi.waitFor(() => expect(server.lines.some((l) => l.request_id === requestId)).toBe(true));
  return server.lines.find((l) => l.request_id === requestId && l.msg === "request");
}

describe("with OTEL_EXPORTER_OTLP_ENDPOINT and RUNNERPLANE_METRICS_PORT", () => {
  it("exports a server span in the caller's trace over OTLP, logs its trace id, and serves /metrics on its own port", async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const { url, org } = await database();
    const server = await startMain(
      {
        DATABASE_URL: url,
        RUNNERPLANE_SECRET_KEYS: secretKeys,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: "runnerplane-under-test",
        // Export every 50 ms rather than every 5 s (the SDK reads this itself).
        OTEL_BSP_SCHEDULE_DELAY: "50",
        RUNNERPLANE_METRICS_PORT: "0",
      },
      cleanups,
    );
    expect(server.lines.find((l) => l.msg === "exporting traces")).toMatchObject({
      otlp_traces_url: `${receiver.url}/v1/traces`,
    });

    const caller = traceparent();
    const res = await callIdentity(server, org.admin.token, { traceparent: caller.header });
    expect((await requestLine(server, res.headers.get("x-request-id")))?.trace_id).toBe(caller.traceId);

    await vi.waitFor(
      () => expect(receiver.spans.some((s) => s.kind === 2 && s.traceId === caller.traceId)).toBe(true),
      {
        timeout: 10_000,
        interval: 50,
      },
    );
    expect(receiver.rejected).toEqual([]);
    const span = receiver.spans.find((s) => s.kind === 2 && s.traceId === caller.traceId);
    expect(span).toMatchObject({
      name: "gitpod.v1.IdentityService/GetAuthenticatedIdentity",
      parentSpanId: caller.spanId,
      attributes: {
        "rpc.system": "connect_rpc",
        "rpc.service": "gitpod.v1.IdentityService",
        "rpc.method": "GetAuthenticatedIdentity",
      },
      resource: { "service.name": "runnerplane-under-test" },
    });
    // Its statements, as children in the same trace.
    await vi.waitFor(
      () => expect(receiver.spans.some((s) => s.kind === 3 && s.parentSpanId === span?.spanId)).toBe(true),
      { timeout: 10_000, interval: 50 },
    );

    const metricsLine = server.lines.find((l) => l.msg === "serving metrics");
    expect(metricsLine?.port).toEqual(expect.any(Number));
    const scraped = await fetch(`http://127.0.0.1:${metricsLine?.port}/metrics`);
    expect(scraped.status).toBe(200);
    const samples = parseExposition(await scraped.text());
    expect(
      sampleValue(samples, "runnerplane_rpc_requests_total", {
        procedure: identityPath.slice(1),
        protocol: "connect",
        code: "ok",
      }),
    ).toBe(1);
    expect(sampleValue(samples, "runnerplane_db_up")).toBe(1);
    expect(sampleValue(samples, "runnerplane_db_statement_duration_seconds_count", { outcome: "ok" })).toBeGreaterThan(
      0,
    );
    expect(sampleValue(samples, "process_resident_memory_bytes")).toBeGreaterThan(0);
    // The public port keeps /metrics to itself: no token is configured.
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(404);

    // Shutdown flushes what is left, and exits cleanly.
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});

describe("by default", () => {
  it("does no tracing and serves no metrics", async () => {
    const { url, org } = await database();
    const server = await startMain({ DATABASE_URL: url, RUNNERPLANE_SECRET_KEYS: secretKeys }, cleanups);
    const res = await callIdentity(server, org.admin.token, { traceparent: traceparent().header });
    const line = await requestLine(server, res.headers.get("x-request-id"));
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty("trace_id");
    expect(server.lines.some((l) => l.msg === "exporting traces" || l.msg === "serving metrics")).toBe(false);
    const metrics = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(metrics.status).toBe(404);
    expect(await metrics.json()).toEqual({ code: "not_found", message: "no such method or path: /metrics" });
  });

  it("does no tracing with OTEL_SDK_DISABLED=true even with an endpoint; /metrics on the public port behind the token", async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const { url, org } = await database();
    const token = randomBytes(24).toString("hex");
    const server = await startMain(
      {
        DATABASE_URL: url,
        RUNNERPLANE_SECRET_KEYS: secretKeys,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: "50",
        OTEL_SDK_DISABLED: "true",
        RUNNERPLANE_METRICS_TOKEN: token,
      },
      cleanups,
    );
    const res = await callIdentity(server, org.admin.token, { traceparent: traceparent().header });
    expect(await requestLine(server, res.headers.get("x-request-id"))).not.toHaveProperty("trace_id");

    const base = `http://127.0.0.1:${server.port}/metrics`;
    expect((await fetch(base)).status).toBe(401);
    const scraped = await fetch(base, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(sampleValue(parseExposition(await scraped.text()), "runnerplane_db_pool_size")).toBe(5);

    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.spans).toEqual([]);
  });
});
