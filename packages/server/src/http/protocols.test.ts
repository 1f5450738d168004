/**
 * The same calls over every protocol the server speaks, against the real server and a
 * real Postgres: each reaches the method, gets the same validation error for a bad
 * runner id, and `unimplemented` (naming the method) for a method not built yet.
 */
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { RunnerInteractionService } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { ViolationsSchema } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { services } from "../routes.js";
import {
  bearer,
  callError,
  inProcessClients,
  seedOrganization,
  startTestServer,
  type TestServer,
} from "../testing/index.js";

const validId = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b";

let server: TestServer;
let token: string;
let runnerId: string;
beforeAll(async () => {
  server = await startTestServer();
  token = (await seedOrganization(server.sql)).admin.token;
  runnerId = (await inProcessClients(server.sql, token).runners.createRunner({ name: "protocol runner", provider: 1 }))
    .runner?.runnerId as string;
});
afterAll(() => server.close());

const authenticated = () => ({ interceptors: [bearer(token)] });

/** Every protocol × HTTP version × path prefix, authenticated as the org admin. */
const transports: Record<string, (baseUrl: string) => Transport> = {
  "Connect JSON over HTTP/1.1": (baseUrl) =>
    createConnectTransport({ ...authenticated(), baseUrl, httpVersion: "1.1" }),
  "Connect binary over HTTP/1.1": (baseUrl) =>
    createConnectTransport({ ...authenticated(), baseUrl, httpVersion: "1.1", useBinaryFormat: true }),
  "Connect JSON over h2c": (baseUrl) => createConnectTransport({ ...authenticated(), baseUrl, httpVersion: "2" }),
  "Connect binary under /api over h2c": (baseUrl) =>
    createConnectTransport({ ...authenticated(), baseUrl: `${baseUrl}/api`, httpVersion: "2", useBinaryFormat: true }),
  "gRPC over h2c": (baseUrl) => createGrpcTransport({ ...authenticated(), baseUrl }),
  "gRPC under /api over h2c": (baseUrl) => createGrpcTransport({ ...authenticated(), baseUrl: `${baseUrl}/api` }),
  "gRPC-Web binary over HTTP/1.1": (baseUrl) =>
    createGrpcWebTransport({ ...authenticated(), baseUrl, httpVersion: "1.1" }),
  "gRPC-Web JSON over h2c": (baseUrl) =>
    createGrpcWebTransport({ ...authenticated(), baseUrl, httpVersion: "2", useBinaryFormat: false }),
};

describe.each(Object.entries(transports))("%s", (_name, makeTransport) => {
  it("rejects a malformed runner_id with invalid_argument naming the field and rule", async () => {
    const client = createClient(RunnerService, makeTransport(server.baseUrl));
    const error = await callError(client.getRunner({ runnerId: "not-a-uuid" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("runner_id: value must be a valid UUID");
    const [details] = error.findDetails(ViolationsSchema);
    expect(details?.violations).toEqual([
      expect.objectContaining({ field: "runner_id", rule: "string.uuid", message: "value must be a valid UUID" }),
    ]);
  });

  it("reaches the method: an unknown runner is not_found", async () => {
    const client = createClient(RunnerService, makeTransport(server.baseUrl));
    const error = await callError(client.getRunner({ runnerId: validId }));
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toBe(`runner ${validId} not found`);
  });

  it("relays to a runner: one that is not connected is unavailable", async () => {
    const client = createClient(RunnerService, makeTransport(server.baseUrl));
    const error = await callError(client.checkAuthenticationForHost({ runnerId, host: "github.com" }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toBe("runner is not connected");
  });
});

describe("server streaming", () => {
  it.each(["gRPC over h2c", "Connect JSON over HTTP/1.1", "gRPC-Web binary over HTTP/1.1"])(
    "validates the request of WatchRequests over %s",
    async (name) => {
      const client = createClient(
        RunnerInteractionService,
        (transports[name] as (u: string) => Transport)(server.baseUrl),
      );
      const error = await callError(
        (async () => {
          for await (const _ of client.watchRequests({ runnerId: "nope" })) {
            // no messages expected
          }
        })(),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe("runner_id: value must be a valid UUID");
    },
  );
});

describe("plain JSON POST, as curl and the published HTTP SDKs send it", () => {
  const post = (path: string, body: unknown) =>
    fetch(`${server.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });

  it.each(["/gitpod.v1.RunnerService/GetRunner", "/api/gitpod.v1.RunnerService/GetRunner"])(
    "POST %s with a bad runnerId gets the validation error",
    async (path) => {
      const res = await post(path, { runnerId: "nope" });
      expect(res.status).toBe(400);
      expect(res.headers.get("x-should-retry")).toBe("false");
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe("invalid_argument");
      expect(body.message).toBe("runner_id: value must be a valid UUID");
    },
  );

  it.each(["/gitpod.v1.RunnerService/GetRunner", "/api/gitpod.v1.RunnerService/GetRunner"])(
    "POST %s with a good but unknown runnerId gets not_found",
    async (path) => {
      const res = await post(path, { runnerId: validId });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ code: "not_found", message: `runner ${validId} not found` });
    },
  );

  it("honours pageSize from the query string over the body's pagination", async () => {
    const tooBig = await post("/api/gitpod.v1.RunnerService/ListRunners?pageSize=101", {
      pagination: { pageSize: 10 },
    });
    expect(tooBig.status).toBe(400);
    expect(((await tooBig.json()) as { message: string }).message).toBe(
      "pagination.page_size: value must be less than or equal to 100",
    );
    // The body alone would be invalid; the query value replaces it.
    const fine = await post("/api/gitpod.v1.RunnerService/ListRunners?pageSize=50", {
      pagination: { pageSize: 500 },
    });
    expect(fine.status).toBe(200);
    // The query token is the one used: this one is not a page token.
    const badToken = await post("/api/gitpod.v1.RunnerService/ListRunners?token=abc", {});
    expect(((await badToken.json()) as { message: string }).message).toBe("pagination.token is not a valid page token");
  });

  it("rejects a pageSize query parameter that is not an integer", async () => {
    const res = await post("/gitpod.v1.RunnerService/ListRunners?pageSize=ten", {});
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe("pageSize query parameter must be an integer");
  });

  it("applies query pagination over gRPC too, since it acts on the decoded message", async () => {
    const client = createClient(RunnerService, transports["gRPC over h2c"]?.(server.baseUrl) as Transport);
    // gRPC paths carry no query string in practice; the body rule still holds.
    const error = await callError(client.listRunners({ pagination: { pageSize: 101 } }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("pagination.page_size: value must be less than or equal to 100");
  });
});

describe("the contract's methods", () => {
  const methods = services.flatMap((service) => service.methods.map((m) => `${service.typeName}/${m.name}`));

  it("covers all 95 RPCs of the nine services", () => {
    expect(methods).toHaveLength(95);
  });

  it.each(methods)("%s is registered", async (path) => {
    const res = await fetch(`${server.baseUrl}/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });
    expect(res.status).not.toBe(404);
  });
});
