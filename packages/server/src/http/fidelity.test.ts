/**
 * Protocol fidelity over the real server (behaviour.md §1): gzip on every protocol, RPCs
 * the server does not serve, one unknown-field rule for every JSON path, and CORS for
 * browser clients with trace context and configured headers.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bearer,
  callError,
  inProcessClients,
  seedOrganization,
  startTestServer,
  type TestServer,
} from "../testing/index.js";

const validId = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b";
const allowedOrigin = "https://console.example.test";

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({
    config: { corsOrigins: [allowedOrigin], corsAllowedHeaders: ["x-acme-tenant"], maxBodyBytes: 64 * 1024 },
  });
  token = (await seedOrganization(server.sql)).admin.token;
  // Enough runners for a ListRunners answer well above the 1 KiB compression threshold.
  const clients = inProcessClients(server.sql, token);
  for (let i = 0; i < 12; i++) await clients.runners.createRunner({ name: `gzip runner ${i}`, provider: 1 });
});
afterAll(() => server?.close());

const options = (extra: object = {}) => ({ interceptors: [bearer(token)], ...extra });

type MakeTransport = (baseUrl: string, extra?: object) => Transport;
const protocols: Record<string, MakeTransport> = {
  "Connect JSON over HTTP/1.1": (baseUrl, extra) =>
    createConnectTransport({ ...options(extra), baseUrl, httpVersion: "1.1" }),
  "Connect binary over h2c": (baseUrl, extra) =>
    createConnectTransport({ ...options(extra), baseUrl, httpVersion: "2", useBinaryFormat: true }),
  "gRPC over h2c": (baseUrl, extra) => createGrpcTransport({ ...options(extra), baseUrl }),
  "gRPC-Web binary over HTTP/1.1": (baseUrl, extra) =>
    createGrpcWebTransport({ ...options(extra), baseUrl, httpVersion: "1.1" }),
  "gRPC-Web JSON over h2c": (baseUrl, extra) =>
    createGrpcWebTransport({ ...options(extra), baseUrl, httpVersion: "2", useBinaryFormat: false }),
};

const gzipBoth = { sendCompression: compressionGzip, acceptCompression: [compressionGzip], compressMinBytes: 0 };

/** A compression that claims to be gzip and sends garbage. */
const brokenGzip: Compression = {
  name: "gzip",
  compress: async () => new Uint8Array([1, 2, 3, 4, 5]),
  decompress: (bytes, max) => compressionGzip.decompress(bytes, max),
};

/** RunnerService under another name: a service the server does not serve. */
function unservedService(): DescService {
  const service = { ...RunnerService, typeName: "gitpod.v1.NoSuchService", name: "NoSuchService" } as DescService;
  const methods = RunnerService.methods.map((m) => ({ ...m, parent: service }) as DescMethod);
  return Object.assign(service, { methods, method: Object.fromEntries(methods.map((m) => [m.localName, m])) });
}

describe.each(Object.entries(protocols))("%s", (_name, makeTransport) => {
  it("accepts a gzip request and answers in gzip", async () => {
    const client = createClient(RunnerService, makeTransport(server.baseUrl, gzipBoth));
    const encodings: (string | null)[] = [];
    const onHeader = (h: Headers) =>
      encodings.push(h.get("content-encoding") ?? h.get("grpc-encoding") ?? h.get("connect-content-encoding"));
    const { runners } = await client.listRunners({ pagination: { pageSize: 20 } }, { onHeader });
    expect(runners.length).toBeGreaterThanOrEqual(12);
    expect(encodings).toEqual(["gzip"]);
  });

  it("refuses a body that is not valid gzip with invalid_argument", async () => {
    const client = createClient(
      RunnerService,
      makeTransport(server.baseUrl, { sendCompression: brokenGzip, compressMinBytes: 0 }),
    );
    const error = await callError(client.getRunner({ runnerId: validId }));
    expect(error.code).toBe(Code.InvalidArgument);
  });

  it("refuses a gzip body that inflates beyond the body limit with resource_exhausted", async () => {
    const client = createClient(RunnerService, makeTransport(server.baseUrl, gzipBoth));
    const error = await callError(client.createRunner({ name: "x".repeat(1024 * 1024), provider: 1 }));
    expect(error.code).toBe(Code.ResourceExhausted);
  });

  it("answers an RPC it does not serve with Unimplemented", async () => {
    const client = createClient(unservedService(), makeTransport(server.baseUrl)) as unknown as {
      getRunner(req: object): Promise<unknown>;
    };
    const error = await callError(client.getRunner({ runnerId: validId }));
    expect(error.code).toBe(Code.Unimplemented);
    expect(error.rawMessage).toBe("gitpod.v1.NoSuchService/GetRunner is not a method this server serves");
  });
});

describe("gzip over plain HTTP", () => {
  const post = (path: string, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
      body,
    });

  it("reads a gzip JSON body, drops its unknown fields, and compresses a large answer when asked", async () => {
    const body = gzipSync(JSON.stringify({ pagination: { pageSize: 20 }, bogus: 1 }));
    const res = await post("/api/gitpod.v1.RunnerService/ListRunners", body, {
      "content-encoding": "gzip",
      "accept-encoding": "gzip",
    });
    expect(res.status).toBe(200);
    // fetch inflates transparently; what came over the wire was gzip.
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(((await res.json()) as { runners: unknown[] }).runners.length).toBeGreaterThanOrEqual(12);
  });

  it("leaves a small answer uncompressed", async () => {
    const res = await post("/gitpod.v1.RunnerService/GetRunner", gzipSync(JSON.stringify({ runnerId: validId })), {
      "content-encoding": "gzip",
      "accept-encoding": "gzip",
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-encoding")).toBeNull();
  });

  it("refuses a zip bomb without inflating it, and a corrupt gzip body", async () => {
    const bomb = gzipSync(
      Buffer.concat([Buffer.from('{"name":"'), Buffer.alloc(64 * 1024 * 1024, 0x61), Buffer.from('"}')]),
    );
    expect(bomb.length).toBeLessThan(64 * 1024); // under the limit on the wire
    const exhausted = await post("/gitpod.v1.RunnerService/CreateRunner", bomb, { "content-encoding": "gzip" });
    expect(((await exhausted.json()) as { code: string }).code).toBe("resource_exhausted");
    const corrupt = await post("/gitpod.v1.RunnerService/GetRunner", Buffer.from("not gzip at all"), {
      "content-encoding": "gzip",
    });
    expect(corrupt.status).toBe(400);
    expect(((await corrupt.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("sanity: the fixture's gzip is real gzip", () => {
    expect(gunzipSync(gzipSync("{}")).toString()).toBe("{}");
  });
});

describe("unknown RPCs over raw gRPC", () => {
  it("answers trailers-only with grpc-status 12 and the gRPC content type, never a JSON body", async () => {
    const res = await fetch(`${server.baseUrl}/gitpod.v1.NoSuchService/Nope`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto" },
      body: new Uint8Array([0, 0, 0, 0, 0]),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/grpc-web+proto");
    expect(res.headers.get("grpc-status")).toBe("12");
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });
});

/** A length-prefixed message frame, as Connect streaming and gRPC-Web send them. */
function envelope(json: unknown): Buffer {
  const data = Buffer.from(JSON.stringify(json));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

describe("one unknown-field rule on every JSON path", () => {
  it("Connect GET ignores an unknown field, as POST does", async () => {
    const message = encodeURIComponent(JSON.stringify({ runnerId: validId, bogus: 1 }));
    const res = await fetch(
      `${server.baseUrl}/gitpod.v1.RunnerService/GetRunner?connect=v1&encoding=json&message=${message}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(((await res.json()) as { code: string }).code).toBe("not_found"); // reached the method
  });

  it("Connect GET with a base64, gzip-compressed message is read the same way", async () => {
    const message = gzipSync(JSON.stringify({ runnerId: validId, bogus: 1 })).toString("base64url");
    const res = await fetch(
      `${server.baseUrl}/gitpod.v1.RunnerService/GetRunner?connect=v1&encoding=json&base64=1&compression=gzip&message=${message}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(((await res.json()) as { code: string }).code).toBe("not_found");
  });

  it("gRPC-Web JSON ignores an unknown field but refuses an unknown enum name", async () => {
    const call = async (path: string, json: unknown) => {
      const res = await fetch(`${server.baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/grpc-web+json", authorization: `Bearer ${token}` },
        body: envelope(json),
      });
      const text = Buffer.from(await res.arrayBuffer()).toString("latin1");
      return res.headers.get("grpc-status") ?? /grpc-status: ?(\d+)/.exec(text)?.[1];
    };
    expect(await call("/gitpod.v1.RunnerService/GetRunner", { runnerId: validId, bogus: 1 })).toBe(
      String(Code.NotFound),
    );
    expect(await call("/gitpod.v1.RunnerService/ListRunners", { filter: { kinds: ["RUNNER_KIND_TYPO"] } })).toBe(
      String(Code.InvalidArgument),
    );
  });

  it("Connect streaming JSON ignores an unknown field", async () => {
    const res = await fetch(`${server.baseUrl}/gitpod.v1.RunnerInteractionService/WatchRequests`, {
      method: "POST",
      headers: { "content-type": "application/connect+json", authorization: `Bearer ${token}` },
      body: envelope({ runnerId: "not-a-uuid", bogus: 1 }),
    });
    const text = Buffer.from(await res.arrayBuffer()).toString("utf8");
    // The field rule answered, not the decoder: the unknown field was dropped first.
    expect(text).toContain("runner_id: value must be a valid UUID");
  });
});

describe("CORS", () => {
  const preflight = (requested: string) =>
    fetch(`${server.baseUrl}/gitpod.v1.RunnerService/GetRunner`, {
      method: "OPTIONS",
      headers: {
        origin: allowedOrigin,
        "access-control-request-method": "POST",
        "access-control-request-headers": requested,
      },
    });

  it("allows trace context, x-request-id and configured headers in a preflight", async () => {
    const res = await preflight("content-type, traceparent, tracestate, x-request-id, x-acme-tenant, x-evil");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-headers")).toBe(
      "content-type, traceparent, tracestate, x-request-id, x-acme-tenant",
    );
  });
});
