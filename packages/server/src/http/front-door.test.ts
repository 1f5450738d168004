/**
 * What the front door does before (and around) a method, over the real server: errors
 * for requests that never reach a method, JSON decoding rules, body limit, CORS, Connect
 * GET, health probes, request ids and the request log line.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedOrganization, startTestServer, type TestServer } from "../testing/index.js";

const validId = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b";
const allowedOrigin = "https://app.example.test";

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer({ config: { maxBodyBytes: 2048, corsOrigins: [allowedOrigin] } });
  token = (await seedOrganization(server.sql)).admin.token;
});
afterAll(() => server.close());

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    body,
  });
}

async function errorBody(res: Response): Promise<{ code: string; message: string }> {
  expect(res.headers.get("content-type")).toBe("application/json");
  return (await res.json()) as { code: string; message: string };
}

describe("requests that never reach a method", () => {
  it("answers an RPC it does not serve with 404 unimplemented, not not_found", async () => {
    for (const path of ["/gitpod.v1.RunnerService/NoSuchMethod", "/api/gitpod.v1.EnvironmentService/GetEnvironment"]) {
      const res = await post(path, "{}");
      expect(res.status).toBe(404);
      expect(await errorBody(res)).toEqual({
        code: "unimplemented",
        message: `${path.replace(/^\/(api\/)?/, "")} is not a method this server serves`,
      });
      expect(res.headers.get("x-should-retry")).toBe("false");
    }
  });

  it("answers any other unknown path with 404 not_found and a JSON body", async () => {
    const res = await post("/no/such/path", "{}");
    expect(res.status).toBe(404);
    expect(await errorBody(res)).toEqual({ code: "not_found", message: "no such method or path: /no/such/path" });
  });

  it("answers a wrong HTTP method with 405 unimplemented", async () => {
    const res = await fetch(`${server.baseUrl}/gitpod.v1.RunnerService/CreateRunner`, { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect((await errorBody(res)).code).toBe("unimplemented");
  });

  it("answers an unsupported content type with 415 invalid_argument", async () => {
    const res = await post("/gitpod.v1.RunnerService/GetRunner", "runner", { "content-type": "text/plain" });
    expect(res.status).toBe(415);
    expect((await errorBody(res)).code).toBe("invalid_argument");
  });

  it("answers a body that is not JSON with 400 invalid_argument, never internal", async () => {
    const res = await post("/gitpod.v1.RunnerService/GetRunner", "{runnerId:");
    expect(res.status).toBe(400);
    const body = await errorBody(res);
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(/^the request body is not valid JSON/);
  });

  it("answers a binary body that does not decode with 400 invalid_argument", async () => {
    const res = await fetch(`${server.baseUrl}/gitpod.v1.RunnerService/GetRunner`, {
      method: "POST",
      headers: { "content-type": "application/proto", authorization: `Bearer ${token}` },
      body: new Uint8Array([0x0a, 0xff, 0xff, 0xff]),
    });
    expect(res.status).toBe(400);
    expect((await errorBody(res)).code).toBe("invalid_argument");
  });

  it("refuses a JSON body over the limit with resource_exhausted", async () => {
    const res = await post("/gitpod.v1.RunnerService/GetRunner", JSON.stringify({ runnerId: "x".repeat(4096) }));
    expect(res.status).toBe(429);
    expect(await errorBody(res)).toEqual({
      code: "resource_exhausted",
      message: "the request body exceeds the limit of 2048 bytes",
    });
  });

  it("refuses a binary body over the limit with resource_exhausted", async () => {
    const res = await fetch(`${server.baseUrl}/gitpod.v1.RunnerService/GetRunner`, {
      method: "POST",
      headers: { "content-type": "application/proto", authorization: `Bearer ${token}` },
      body: new Uint8Array(4096),
    });
    expect(res.status).toBe(429);
    expect((await errorBody(res)).code).toBe("resource_exhausted");
  });
});

describe("JSON decoding", () => {
  it("ignores unknown fields, top-level and nested", async () => {
    const res = await post(
      "/gitpod.v1.RunnerService/ListRunners",
      JSON.stringify({ fromTheFuture: true, filter: { kinds: ["RUNNER_KIND_REMOTE"], newFilter: [1] } }),
    );
    expect(res.status).toBe(200); // reached the method
  });

  it("rejects an enum value name the server does not know instead of dropping the filter", async () => {
    const res = await post(
      "/gitpod.v1.RunnerService/ListRunners",
      JSON.stringify({ filter: { kinds: ["RUNNER_KIND_TYPO"] } }),
    );
    expect(res.status).toBe(400);
    const body = await errorBody(res);
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toBe('filter.kinds[0]: "RUNNER_KIND_TYPO" is not a value of gitpod.v1.RunnerKind');
  });

  it("rejects an undeclared enum number on a defined-only field", async () => {
    const res = await post("/gitpod.v1.RunnerService/ListRunners", JSON.stringify({ filter: { kinds: [2, 42] } }));
    expect(res.status).toBe(400);
    expect((await errorBody(res)).message).toBe("filter.kinds[1]: value must be one of the defined enum values");
  });

  it("accepts snake_case field names and null as unset", async () => {
    const bad = await post("/gitpod.v1.RunnerService/GetRunner", JSON.stringify({ runner_id: "nope" }));
    expect((await errorBody(bad)).message).toBe("runner_id: value must be a valid UUID");
    const unset = await post(
      "/gitpod.v1.RunnerService/ListRunners",
      JSON.stringify({ filter: null, pagination: null }),
    );
    expect(unset.status).toBe(200);
  });

  it("refuses a zero-length JSON body, which is not a JSON object", async () => {
    const res = await post("/gitpod.v1.RunnerService/ListRunners", "");
    expect(res.status).toBe(400);
    expect(await errorBody(res)).toMatchObject({ code: "invalid_argument" });
  });

  it("refuses a JSON body that is not an object", async () => {
    for (const body of ["[]", "42", "null"]) {
      const res = await post("/gitpod.v1.RunnerService/ListRunners", body);
      expect(res.status).toBe(400);
      expect((await errorBody(res)).code).toBe("invalid_argument");
    }
  });
});

describe("Connect GET", () => {
  it("serves NO_SIDE_EFFECTS methods over GET", async () => {
    const message = encodeURIComponent(JSON.stringify({ runnerId: "nope" }));
    const res = await fetch(
      `${server.baseUrl}/api/gitpod.v1.RunnerService/GetRunner?connect=v1&encoding=json&message=${message}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(res.status).toBe(400);
    expect((await errorBody(res)).message).toBe("runner_id: value must be a valid UUID");
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin", async () => {
    const res = await fetch(`${server.baseUrl}/gitpod.v1.RunnerService/GetRunner`, {
      method: "OPTIONS",
      headers: {
        origin: allowedOrigin,
        "access-control-request-method": "POST",
        "access-control-request-headers":
          "content-type, authorization, connect-protocol-version, x-stainless-lang, x-evil",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(allowedOrigin);
    expect(res.headers.get("access-control-allow-methods")).toBe("POST, GET");
    expect(res.headers.get("access-control-allow-headers")).toBe(
      "content-type, authorization, connect-protocol-version, x-stainless-lang",
    );
  });

  it("sends no CORS headers to an origin that is not allowed", async () => {
    const res = await fetch(`${server.baseUrl}/gitpod.v1.RunnerService/GetRunner`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("exposes the Connect, gRPC-Web and request-id headers on actual responses", async () => {
    const res = await post("/gitpod.v1.RunnerService/GetRunner", JSON.stringify({ runnerId: validId }), {
      origin: allowedOrigin,
    });
    expect(res.headers.get("access-control-allow-origin")).toBe(allowedOrigin);
    const exposed = res.headers.get("access-control-expose-headers") ?? "";
    for (const h of ["grpc-status", "grpc-message", "x-request-id", "x-should-retry"]) expect(exposed).toContain(h);
  });
});

describe("health", () => {
  it("GET /healthz answers while the process is up", async () => {
    const res = await fetch(`${server.baseUrl}/healthz`);
    expect(res.status).toBe(200);
  });

  it("GET /readyz answers when the database is reachable and migrated", async () => {
    const res = await fetch(`${server.baseUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready" });
  });
});

describe("request id and log line", () => {
  it("returns a request id header and logs one JSON line per request with it", async () => {
    const res = await post("/gitpod.v1.RunnerService/GetRunner", JSON.stringify({ runnerId: "nope" }));
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await res.text();
    await expect.poll(() => server.logs.filter((l) => l.request_id === id)).toHaveLength(1);
    const line = server.logs.find((l) => l.request_id === id);
    expect(line).toMatchObject({
      msg: "request",
      level: "info",
      procedure: "gitpod.v1.RunnerService/GetRunner",
      protocol: "connect",
      status: 400,
      code: "invalid_argument",
    });
    expect(typeof line?.duration_ms).toBe("number");
    expect(line?.subject).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(server.logs)).not.toContain(token);
  });

  it("gives every response a distinct request id, including errors outside methods", async () => {
    const a = await fetch(`${server.baseUrl}/nope`);
    const b = await fetch(`${server.baseUrl}/nope`);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });
});
