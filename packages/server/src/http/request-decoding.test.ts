/**
 * A request whose binary message does not decode is the client's error: `invalid_argument`
 * on every protocol and for unary and streaming methods alike (behaviour.md §1), never
 * `internal`. connect-es says `internal`; our patch of it
 * (patches/@connectrpc__connect@2.1.1.patch, docs/decisions.md) changes that for the
 * messages a server parses — requests — and nothing else: a client that receives a
 * response it cannot decode still reports `internal`.
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestRunner, seedOrganization, startTestServer, type TestServer } from "../testing/index.js";

let server: TestServer;
let adminToken: string;
let runnerToken: string;
beforeAll(async () => {
  server = await startTestServer();
  adminToken = (await seedOrganization(server.sql)).admin.token;
  runnerToken = (await createTestRunner(server.baseUrl, adminToken)).token;
});
afterAll(() => server.close());

/** A length-delimited field (1) that claims more bytes than follow. */
const undecodable = new Uint8Array([0x0a, 0xff, 0xff, 0xff]);

function envelope(payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, 5);
  return frame;
}

interface Answer {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: string;
}

/** One request over HTTP/2, read to its end. */
function post(path: string, contentType: string, token: string, body: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(server.baseUrl);
    session.on("error", reject);
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": contentType,
      authorization: `Bearer ${token}`,
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => {
      headers = h;
    });
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      session.close();
      resolve({ headers, trailers, body: Buffer.concat(chunks).toString("latin1") });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The gRPC status, from the trailers or a trailers-only response's headers. */
function grpcStatus(answer: Answer): string | undefined {
  return String(answer.trailers["grpc-status"] ?? answer.headers["grpc-status"]);
}

const getRunner = "/gitpod.v1.RunnerService/GetRunner";
const watchRequests = "/gitpod.v1.RunnerInteractionService/WatchRequests";

describe("a request message that does not decode", () => {
  it("is invalid_argument over gRPC, unary and server streaming", async () => {
    const unary = await post(getRunner, "application/grpc", adminToken, envelope(undecodable));
    expect(grpcStatus(unary)).toBe(String(Code.InvalidArgument));
    const stream = await post(watchRequests, "application/grpc", runnerToken, envelope(undecodable));
    expect(grpcStatus(stream)).toBe(String(Code.InvalidArgument));
  });

  it("is invalid_argument over gRPC-Web, in the trailer frame", async () => {
    for (const [path, token] of [
      [getRunner, adminToken],
      [watchRequests, runnerToken],
    ] as const) {
      const answer = await post(path, "application/grpc-web+proto", token, envelope(undecodable));
      expect(answer.body).toContain(`grpc-status: ${Code.InvalidArgument}\r\n`);
    }
  });

  it("is invalid_argument in a Connect stream's end-of-stream message", async () => {
    const answer = await post(watchRequests, "application/connect+proto", runnerToken, envelope(undecodable));
    const end = JSON.parse(answer.body.slice(5)) as { error: { code: string; message: string } };
    expect(end.error).toEqual({ code: "invalid_argument", message: "parse binary: premature EOF" });
  });

  it("is 400 invalid_argument for a Connect unary call", async () => {
    const res = await fetch(`${server.baseUrl}${getRunner}`, {
      method: "POST",
      headers: { "content-type": "application/proto", authorization: `Bearer ${adminToken}` },
      body: undecodable,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: "invalid_argument", message: "parse binary: premature EOF" });
    expect(res.headers.get("x-should-retry")).toBe("false");
  });
});

describe("a response message that does not decode", () => {
  let garbling: http2.Http2Server;
  const sessions = new Set<http2.ServerHttp2Session>();
  beforeAll(async () => {
    garbling = http2.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/grpc" });
      res.addTrailers({ "grpc-status": "0" });
      res.end(envelope(undecodable));
    });
    garbling.on("session", (session) => sessions.add(session));
    await new Promise<void>((resolve) => garbling.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await new Promise<void>((resolve) => garbling.close(() => resolve()));
  });

  it("is still internal to the client that received it", async () => {
    const { port } = garbling.address() as AddressInfo;
    const client = createClient(RunnerService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    const error = await client.getRunner({}).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.Internal);
    expect(error?.rawMessage).toBe("parse binary: premature EOF");
  });
});
