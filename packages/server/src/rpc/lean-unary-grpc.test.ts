/**
 * gRPC unary calls without connect-es's stream pipeline (rpc/lean-unary.ts) over the real
 * server and Postgres. Two servers share one database: `lean` as built by default, `classic`
 * with the path turned off, so every request is sent to both and the answers compared byte
 * for byte (status, headers, frames, trailers, and the request log line). A test-only hook
 * on `lean` records whether the path parsed a request itself or replayed it into connect-es.
 */
import http2 from "node:http2";
import { gunzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  UpdateRunnerStatusRequestSchema,
  WatchRequestsRequestSchema,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { GetRunnerRequestSchema, ListRunnersRequestSchema, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  bearer,
  createTestDatabase,
  createTestRunner,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestDatabase,
  type TestRunner,
  type TestServer,
} from "../testing/index.js";
import { type RawResponse, type RawTransport, rawCall, requestLogLine } from "../testing/raw-stream.js";

const heartbeatPath = "/gitpod.v1.RunnerInteractionService/UpdateRunnerStatus";
const getRunnerPath = "/gitpod.v1.RunnerService/GetRunner";
const listRunnersPath = "/gitpod.v1.RunnerService/ListRunners";

let db: TestDatabase;
let lean: TestServer;
let classic: TestServer;
const served: ("parsed" | "replayed")[] = [];
let org: SeededOrganization;
let runner: TestRunner;
let otherRunner: TestRunner;

beforeAll(async () => {
  db = await createTestDatabase();
  lean = await startTestServer({
    sql: db.sql,
    leanUnary: { served: (protocol, how) => protocol === "grpc" && served.push(how) },
  });
  classic = await startTestServer({ sql: db.sql, leanUnary: false });
  org = await seedOrganization(db.sql);
  runner = await createTestRunner(lean.baseUrl, org.admin.token, { name: "heartbeating" });
  otherRunner = await createTestRunner(lean.baseUrl, org.admin.token, { name: "another" });
});

afterAll(async () => {
  await lean?.close();
  await classic?.close();
  await db?.drop();
});

const grpc = { "content-type": "application/grpc", te: "trailers" };
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const heartbeat = (runnerId: string) =>
  toBinary(
    UpdateRunnerStatusRequestSchema,
    create(UpdateRunnerStatusRequestSchema, { runnerId, version: "1.2.3", systemDetails: "test" }),
  );
const getRunner = (runnerId: string) => toBinary(GetRunnerRequestSchema, create(GetRunnerRequestSchema, { runnerId }));

/**
 * The same request to both servers; the answers and log lines must be equal. Returns the
 * lean server's answer and what the lean path did with it.
 */
async function sendToBoth(
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
  transport: RawTransport = "HTTP/2",
): Promise<{ res: RawResponse; how: ("parsed" | "replayed")[] }> {
  const before = served.length;
  const leanRes = await rawCall(transport, lean.baseUrl + path, { ...grpc, ...headers }, body).done;
  const how = served.slice(before);
  const classicRes = await rawCall(transport, classic.baseUrl + path, { ...grpc, ...headers }, body).done;
  expect(served.length - before).toBe(how.length);
  const { requestId: leanId, ...leanAnswer } = leanRes;
  const { requestId: classicId, ...classicAnswer } = classicRes;
  expect(leanAnswer).toEqual(classicAnswer);
  expect(await requestLogLine(lean, leanId)).toEqual(await requestLogLine(classic, classicId));
  return { res: leanRes, how };
}

function statusOf(res: RawResponse): { code: number; message: string | undefined } {
  const message = res.trailers["grpc-message"];
  return { code: Number(res.trailers["grpc-status"]), message: message && decodeURIComponent(message) };
}

describe("gRPC unary calls without the stream pipeline", () => {
  it("answers a runner's heartbeat as connect-es does, and records it", async () => {
    const { res, how } = await sendToBoth(
      heartbeatPath,
      auth(runner.token),
      encodeEnvelope(0, heartbeat(runner.runnerId)),
    );
    expect(how).toEqual(["parsed"]);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/grpc+proto");
    expect(statusOf(res)).toEqual({ code: 0, message: undefined });
    expect(res.frames).toEqual([{ flags: 0, data: Buffer.alloc(0) }]);
    const [row] = await db.sql<{ version: string }[]>`select version from runners where id = ${runner.runnerId}`;
    expect(row?.version).toBe("1.2.3");
  });

  it("answers GetRunner with the same message, over HTTP/2 and over HTTP/1.1", async () => {
    for (const transport of ["HTTP/2", "HTTP/1.1"] as const) {
      const { res, how } = await sendToBoth(
        getRunnerPath,
        auth(org.admin.token),
        encodeEnvelope(0, getRunner(runner.runnerId)),
        transport,
      );
      expect(how).toEqual(["parsed"]);
      expect(statusOf(res).code).toBe(0);
      expect(res.frames).toHaveLength(1);
      expect(res.frames[0]?.data.length).toBeGreaterThan(0);
    }
  });

  it("compresses a large answer as connect-es does when the client accepts gzip", async () => {
    for (let i = 0; i < 8; i++) await createTestRunner(lean.baseUrl, org.admin.token, { name: `listed ${i}` });
    const list = toBinary(ListRunnersRequestSchema, create(ListRunnersRequestSchema, {}));
    const { res, how } = await sendToBoth(
      listRunnersPath,
      { ...auth(org.admin.token), "grpc-accept-encoding": "gzip" },
      encodeEnvelope(0, list),
    );
    expect(how).toEqual(["parsed"]);
    expect(res.headers["grpc-encoding"]).toBe("gzip");
    expect(res.frames[0]?.flags).toBe(1);
    expect(gunzipSync(res.frames[0]?.data ?? Buffer.alloc(0)).length).toBeGreaterThan(0);
  });

  it("gives the same errors: unauthenticated, permission_denied, not_found and invalid_argument", async () => {
    const body = encodeEnvelope(0, heartbeat(runner.runnerId));
    const badToken = await sendToBoth(heartbeatPath, auth("not-a-token"), body);
    expect(badToken.how).toEqual(["parsed"]);
    expect(statusOf(badToken.res)).toEqual({ code: Code.Unauthenticated, message: "missing or invalid bearer token" });
    const member = await sendToBoth(heartbeatPath, auth(org.member.token), body);
    expect(statusOf(member.res).code).toBe(Code.PermissionDenied);
    const other = await sendToBoth(heartbeatPath, auth(otherRunner.token), body);
    expect(statusOf(other.res).code).toBe(Code.NotFound);
    const invalid = await sendToBoth(heartbeatPath, auth(runner.token), encodeEnvelope(0, heartbeat("not-a-uuid")));
    expect(statusOf(invalid.res).code).toBe(Code.InvalidArgument);
    // Trailers only: no message frame with an error.
    for (const { res } of [badToken, member, other, invalid]) expect(res.frames).toEqual([]);
  });

  it("answers a message that does not decode with invalid_argument, as the patched connect-es does", async () => {
    const { res, how } = await sendToBoth(
      heartbeatPath,
      auth(runner.token),
      encodeEnvelope(0, Buffer.from([0xff, 0xff, 0xff])),
    );
    expect(how).toEqual(["parsed"]);
    expect(statusOf(res).code).toBe(Code.InvalidArgument);
  });

  it.each([
    ["no message at all", () => new Uint8Array(0)],
    [
      "two messages",
      () =>
        Buffer.concat([encodeEnvelope(0, heartbeat(runner.runnerId)), encodeEnvelope(0, heartbeat(runner.runnerId))]),
    ],
    ["a compressed flag without grpc-encoding", () => encodeEnvelope(1, heartbeat(runner.runnerId))],
    ["a truncated envelope", () => encodeEnvelope(0, heartbeat(runner.runnerId)).subarray(0, 8)],
    ["an envelope longer than the body", () => Buffer.from([0, 0, 0, 1, 0, 1, 2, 3])],
  ])("leaves %s to connect-es, which answers it", async (_, body) => {
    const { res, how } = await sendToBoth(heartbeatPath, auth(runner.token), body());
    expect(how).toEqual(["replayed"]);
    expect(statusOf(res).code).not.toBe(0);
  });

  it("leaves a body over the size limit to connect-es", async () => {
    const limited = await startTestServer({
      sql: db.sql,
      config: { maxBodyBytes: 1024 },
      leanUnary: { served: (protocol, how) => protocol === "grpc" && served.push(how) },
    });
    const limitedClassic = await startTestServer({ sql: db.sql, config: { maxBodyBytes: 1024 }, leanUnary: false });
    try {
      const big = toBinary(
        UpdateRunnerStatusRequestSchema,
        create(UpdateRunnerStatusRequestSchema, { runnerId: runner.runnerId, systemDetails: "x".repeat(4096) }),
      );
      const body = encodeEnvelope(0, big);
      const before = served.length;
      const leanRes = await rawCall("HTTP/2", limited.baseUrl + heartbeatPath, { ...grpc, ...auth(runner.token) }, body)
        .done;
      const classicRes = await rawCall(
        "HTTP/2",
        limitedClassic.baseUrl + heartbeatPath,
        { ...grpc, ...auth(runner.token) },
        body,
      ).done;
      expect(served.slice(before)).toEqual(["replayed"]);
      const { requestId: a, ...leanAnswer } = leanRes;
      const { requestId: b, ...classicAnswer } = classicRes;
      expect(leanAnswer).toEqual(classicAnswer);
      expect(statusOf(leanRes).code).toBe(Code.ResourceExhausted);
    } finally {
      await limited.close();
      await limitedClassic.close();
    }
  });

  it("leaves a body the client broke off to connect-es, which logs it as before", async () => {
    const lines: Record<string, unknown>[] = [];
    for (const server of [lean, classic]) {
      const before = served.length;
      const logged = server.logs.length;
      const session = http2.connect(server.baseUrl);
      session.on("error", () => {});
      const stream = session.request({ ":method": "POST", ":path": heartbeatPath, ...grpc, ...auth(runner.token) });
      stream.on("error", () => {});
      const requestId = new Promise<string | undefined>((resolve) => {
        stream.on("response", (h) => resolve(h["x-request-id"] as string | undefined));
        stream.on("close", () => resolve(undefined));
      });
      // Half an envelope, then the client resets the stream.
      stream.write(encodeEnvelope(0, heartbeat(runner.runnerId)).subarray(0, 10));
      await new Promise((resolve) => setTimeout(resolve, 100));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await requestId;
      session.close();
      const line = await vi.waitFor(
        () => {
          const found = server.logs.slice(logged).find((l) => l.msg === "request" && l.path === heartbeatPath);
          if (!found) throw new Error("no request log line yet");
          return found;
        },
        { timeout: 10_000, interval: 20 },
      );
      const { request_id, duration_ms, time, ...rest } = line;
      lines.push(rest);
      if (server === lean) expect(served.slice(before)).toEqual(["replayed"]);
    }
    expect(lines[0]).toEqual(lines[1]);
    // Never answered as a success, on either path.
    expect(lines[0]?.code).not.toBe("ok");
  });

  it("leaves compressed requests, malformed timeouts, gRPC-Web and JSON to connect-es", async () => {
    const body = encodeEnvelope(0, heartbeat(runner.runnerId));
    for (const headers of [
      { "grpc-encoding": "gzip" },
      { "grpc-timeout": "soon" },
      { "content-type": "application/grpc-web+proto" },
      { "content-type": "application/grpc+json" },
    ]) {
      const { how } = await sendToBoth(heartbeatPath, { ...auth(runner.token), ...headers }, body);
      expect(how).toEqual([]);
    }
  });

  it("keeps the client's deadline: a relayed call to a runner that never answers ends with deadline_exceeded", async () => {
    // The runner holds a stream but never answers; the caller's grpc-timeout is 300 ms.
    const silent = await createTestRunner(lean.baseUrl, org.admin.token, { name: "silent" });
    const watch = rawCall(
      "HTTP/2",
      `${lean.baseUrl}/gitpod.v1.RunnerInteractionService/WatchRequests`,
      { ...grpc, ...auth(silent.token) },
      encodeEnvelope(
        0,
        toBinary(WatchRequestsRequestSchema, create(WatchRequestsRequestSchema, { runnerId: silent.runnerId })),
      ),
    );
    try {
      await vi.waitFor(
        async () => {
          const [row] = await db.sql<{ n: number }[]>`
            select count(*)::int as n from runner_connections where runner_id = ${silent.runnerId}`;
          expect(row?.n).toBe(1);
        },
        { timeout: 10_000, interval: 25 },
      );
      const before = served.length;
      const client = createClient(
        RunnerService,
        createGrpcTransport({ baseUrl: lean.baseUrl, interceptors: [bearer(org.admin.token)] }),
      );
      const started = Date.now();
      const error = await client
        .parseContextURL({ runnerId: silent.runnerId, contextUrl: "https://github.com/acme/repo" }, { timeoutMs: 300 })
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect(error?.code).toBe(Code.DeadlineExceeded);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(served.slice(before)).toEqual(["parsed"]);
    } finally {
      watch.hangUp();
      await watch.done.catch(() => {});
    }
  });
});
