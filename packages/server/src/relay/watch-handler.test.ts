/**
 * The lean WatchRequests path (relay/watch-handler.ts; docs/relay.md) over the real server
 * and Postgres. Two servers share one database: `lean` as built by default, `classic` with
 * the lean path turned off, so every request here can be sent to both and the answers compared
 * byte for byte (status, headers, frames, trailers, and the request log line). A test-only
 * hook on `lean` records which streams the lean path took, so a test also proves which path
 * answered.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import {
  RunnerInteractionService,
  WatchRequestsRequestSchema,
  type WatchRequestsResponse,
  WatchRequestsResponseSchema,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientsFor } from "../testing/access-matrix.js";
import {
  bearer,
  callError,
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
import type { LeanProtocol } from "./watch-handler.js";

const path = "/gitpod.v1.RunnerInteractionService/WatchRequests";

let db: TestDatabase;
let lean: TestServer;
let classic: TestServer;
/** Every stream the lean path took, in order. */
const served: LeanProtocol[] = [];
let org: SeededOrganization;
let runner: TestRunner;
let otherRunner: TestRunner;

beforeAll(async () => {
  db = await createTestDatabase();
  lean = await startTestServer({ sql: db.sql, leanWatch: { served: (p) => served.push(p) } });
  classic = await startTestServer({ sql: db.sql, leanWatch: false });
  org = await seedOrganization(db.sql);
  runner = await createTestRunner(lean.baseUrl, org.admin.token, { name: "watching" });
  otherRunner = await createTestRunner(lean.baseUrl, org.admin.token, { name: "another" });
});

afterAll(async () => {
  await lean?.close();
  await classic?.close();
  await db?.drop();
});

interface Protocol {
  name: string;
  lean: LeanProtocol;
  transport: RawTransport;
  headers: Record<string, string>;
  /** A client deadline of 300 ms in the protocol's own header. */
  deadline: Record<string, string>;
  acceptEncoding: string;
  client(baseUrl: string, token: string): Transport;
}

const protocols: Protocol[] = [
  {
    name: "Connect streaming over HTTP/1.1",
    lean: "connect",
    transport: "HTTP/1.1",
    headers: { "content-type": "application/connect+proto" },
    deadline: { "connect-timeout-ms": "300" },
    acceptEncoding: "connect-accept-encoding",
    client: (baseUrl, token) => createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(token)] }),
  },
  {
    name: "Connect streaming over HTTP/2",
    lean: "connect",
    transport: "HTTP/2",
    headers: { "content-type": "application/connect+proto" },
    deadline: { "connect-timeout-ms": "300" },
    acceptEncoding: "connect-accept-encoding",
    client: (baseUrl, token) => createConnectTransport({ baseUrl, httpVersion: "2", interceptors: [bearer(token)] }),
  },
  {
    name: "gRPC over HTTP/2",
    lean: "grpc",
    transport: "HTTP/2",
    headers: { "content-type": "application/grpc", te: "trailers" },
    deadline: { "grpc-timeout": "300m" },
    acceptEncoding: "grpc-accept-encoding",
    client: (baseUrl, token) => createGrpcTransport({ baseUrl, interceptors: [bearer(token)] }),
  },
];

const watchRequest = (runnerId: string) =>
  toBinary(WatchRequestsRequestSchema, create(WatchRequestsRequestSchema, { runnerId }));
const envelope = (data: Uint8Array, flags = 0) => encodeEnvelope(flags, data);
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * The same request to both servers; the answers and log lines must be equal. Returns the
 * lean server's answer, and how many streams the lean path took for it.
 */
async function sendToBoth(
  transport: RawTransport,
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<{ res: RawResponse; leanServed: number }> {
  const before = served.length;
  const leanRes = await rawCall(transport, lean.baseUrl + path, headers, body).done;
  const leanServed = served.length - before;
  const classicRes = await rawCall(transport, classic.baseUrl + path, headers, body).done;
  expect(served.length - before).toBe(leanServed);
  const { requestId: leanId, ...leanAnswer } = leanRes;
  const { requestId: classicId, ...classicAnswer } = classicRes;
  expect(leanAnswer).toEqual(classicAnswer);
  expect(await requestLogLine(lean, leanId)).toEqual(await requestLogLine(classic, classicId));
  return { res: leanRes, leanServed };
}

/** The error a response carries: Connect's end-of-stream message, or gRPC's trailers. */
function endOf(res: RawResponse): { code: string | number | undefined; message: string | undefined } {
  const last = res.frames.at(-1);
  if (last && last.flags & 2) {
    const end = JSON.parse(last.data.toString("utf8")) as { error?: { code: string; message: string } };
    return { code: end.error?.code ?? "ok", message: end.error?.message };
  }
  const message = res.trailers["grpc-message"];
  return { code: Number(res.trailers["grpc-status"]), message: message && decodeURIComponent(message) };
}

async function streamsOf(runnerId: string): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from runner_connections where runner_id = ${runnerId}`;
  return row?.n ?? 0;
}

const waitForStreams = (runnerId: string, n: number) =>
  vi.waitFor(
    async () => {
      expect(await streamsOf(runnerId)).toBe(n);
    },
    { timeout: 10_000, interval: 25 },
  );

describe.each(protocols)("the lean WatchRequests path, $name", (protocol) => {
  const code = (connect: string, grpc: Code | 0) => (protocol.lean === "grpc" ? grpc : connect);
  const send = (extra: Record<string, string>, body: Uint8Array) =>
    sendToBoth(protocol.transport, { ...protocol.headers, ...extra }, body);

  it("serves a runner's stream that carries a relayed call and its answer", async () => {
    const before = served.length;
    const watcher = await createTestRunner(lean.baseUrl, org.admin.token, { name: protocol.name });
    const interaction = createClient(RunnerInteractionService, protocol.client(lean.baseUrl, watcher.token));
    const stop = new AbortController();
    const loop = (async () => {
      for await (const message of interaction.watchRequests({ runnerId: watcher.runnerId }, { signal: stop.signal })) {
        if (message.request.case !== "callCheckAuthenticationForHost") continue;
        await watcher.clients.interaction.sendResponse({
          runnerId: watcher.runnerId,
          requestId: message.requestId,
          response: {
            case: "callCheckAuthenticationForHost",
            value: { resp: { authenticated: true, scmId: message.request.value.host } },
          },
        });
      }
    })().catch((error: unknown) => (stop.signal.aborted ? undefined : error));
    try {
      await waitForStreams(watcher.runnerId, 1);
      const admin = clientsFor(classic.baseUrl, org.admin.token);
      for (const host of ["github.com", "gitlab.com"]) {
        const answer = await admin.runners.checkAuthenticationForHost({ runnerId: watcher.runnerId, host });
        expect(answer).toMatchObject({ authenticated: true, scmId: host });
      }
      expect(served.slice(before)).toEqual([protocol.lean]);
    } finally {
      stop.abort();
      expect(await loop).toBeUndefined();
    }
  });

  it("sends each message as connect-es does, compressed when the client accepts gzip and it is large", async () => {
    // Two streams of one runner, one on each server: a call reaches exactly one of them, so
    // each stream gets its own call; both carry a context URL large enough to be compressed.
    const watcher = await createTestRunner(lean.baseUrl, org.admin.token, { name: `${protocol.name} gzip` });
    const headers = { ...protocol.headers, ...auth(watcher.token), [protocol.acceptEncoding]: "gzip" };
    const body = envelope(watchRequest(watcher.runnerId));
    const calls = [lean, classic].map((s) => rawCall(protocol.transport, s.baseUrl + path, headers, body));
    await waitForStreams(watcher.runnerId, 2);
    // A server that holds a stream of the runner delivers its own callers' calls to it.
    const asked = new AbortController();
    const contextUrl = `https://github.com/acme/${"a".repeat(2000)}`;
    const pending = [lean, classic].map((s) =>
      clientsFor(s.baseUrl, org.admin.token)
        .runners.parseContextURL({ runnerId: watcher.runnerId, contextUrl }, { signal: asked.signal })
        .catch(() => {}),
    );
    try {
      await vi.waitFor(() => expect(calls.map((c) => c.frames.length)).toEqual([1, 1]), { timeout: 10_000 });
      const [leanFrame, classicFrame] = calls.map((c) => c.frames[0]);
      expect(leanFrame?.flags).toBe(1);
      expect(classicFrame?.flags).toBe(1);
      const decoded = [leanFrame, classicFrame].map((f) => {
        const m: WatchRequestsResponse = fromBinary(
          WatchRequestsResponseSchema,
          gunzipSync(f?.data ?? Buffer.alloc(0)),
        );
        return { ...m, requestId: "" };
      });
      expect(decoded[0]).toEqual(decoded[1]);
      expect(decoded[0]?.request.case).toBe("callParseContext");
    } finally {
      asked.abort();
      await Promise.all(pending);
      for (const c of calls) c.hangUp();
      await Promise.all(calls.map((c) => c.done.catch(() => {})));
    }
    const [leanRes, classicRes] = await Promise.all(calls.map((c) => c.done.catch(() => undefined)));
    expect(leanRes?.headers ?? {}).toEqual(classicRes?.headers ?? {});
  });

  it("ends a bad token's stream with unauthenticated", async () => {
    const { res, leanServed } = await send(auth("not-a-token"), envelope(watchRequest(runner.runnerId)));
    expect(leanServed).toBe(1);
    expect(res.status).toBe(200);
    expect(endOf(res)).toEqual({
      code: code("unauthenticated", Code.Unauthenticated),
      message: "missing or invalid bearer token",
    });
  });

  it("ends a member's stream with permission_denied, and another runner's with not_found", async () => {
    const member = await send(auth(org.member.token), envelope(watchRequest(runner.runnerId)));
    expect(member.leanServed).toBe(1);
    expect(endOf(member.res).code).toBe(code("permission_denied", Code.PermissionDenied));
    const other = await send(auth(otherRunner.token), envelope(watchRequest(runner.runnerId)));
    expect(endOf(other.res)).toEqual({
      code: code("not_found", Code.NotFound),
      message: `runner ${runner.runnerId} not found`,
    });
  });

  it("refuses a body that is not a message, a cut envelope, and a message that breaks a field rule", async () => {
    const garbage = await send(auth(runner.token), envelope(Buffer.from([0xff, 0xff, 0xff])));
    expect(garbage.leanServed).toBe(1);
    // The client's mistake, not the server's (behaviour.md §1; patches/@connectrpc__connect@2.1.1.patch).
    expect(endOf(garbage.res).code).toBe(code("invalid_argument", Code.InvalidArgument));
    const cut = await send(auth(runner.token), envelope(watchRequest(runner.runnerId)).subarray(0, 8));
    expect(endOf(cut.res)).toEqual({
      code: code("invalid_argument", Code.InvalidArgument),
      message: "protocol error: incomplete envelope",
    });
    const invalid = await send(auth(runner.token), envelope(watchRequest("not-a-uuid")));
    expect(endOf(invalid.res)).toEqual({
      code: code("invalid_argument", Code.InvalidArgument),
      message: "runner_id: value must be a valid UUID",
    });
  });

  it("refuses a second message and a missing one", async () => {
    const one = envelope(watchRequest(runner.runnerId));
    const two = await send(auth(runner.token), Buffer.concat([one, one]));
    expect(two.leanServed).toBe(1);
    expect(endOf(two.res)).toEqual({
      code: code("unimplemented", Code.Unimplemented),
      message: "protocol error: received extra input message for server-streaming method",
    });
    const none = await send(auth(runner.token), new Uint8Array());
    expect(endOf(none.res).message).toBe("protocol error: missing input message for server-streaming method");
  });

  it("ends the stream at the client's deadline with deadline_exceeded, which the client reports", async () => {
    const raw = await send({ ...auth(runner.token), ...protocol.deadline }, envelope(watchRequest(runner.runnerId)));
    expect(raw.leanServed).toBe(1);
    // Both paths end a stream whose deadline passed with deadline_exceeded, on the wire too.
    expect(endOf(raw.res).code).toBe(code("deadline_exceeded", Code.DeadlineExceeded));
    const watcher = await createTestRunner(lean.baseUrl, org.admin.token, { name: `${protocol.name} deadline` });
    const interaction = createClient(RunnerInteractionService, protocol.client(lean.baseUrl, watcher.token));
    const error = await callError(
      (async () => {
        for await (const _ of interaction.watchRequests({ runnerId: watcher.runnerId }, { timeoutMs: 300 })) {
          // nothing is sent to it
        }
      })(),
    );
    expect(error.code).toBe(Code.DeadlineExceeded);
    await waitForStreams(watcher.runnerId, 0);
  });

  it("releases the relay's stream when the client hangs up", async () => {
    const watcher = await createTestRunner(lean.baseUrl, org.admin.token, { name: `${protocol.name} hang-up` });
    const before = served.length;
    const call = rawCall(
      protocol.transport,
      lean.baseUrl + path,
      { ...protocol.headers, ...auth(watcher.token) },
      envelope(watchRequest(watcher.runnerId)),
    );
    await waitForStreams(watcher.runnerId, 1);
    expect(served.slice(before)).toEqual([protocol.lean]);
    call.hangUp();
    await call.done.catch(() => {});
    await waitForStreams(watcher.runnerId, 0);
    const error = await callError(
      clientsFor(lean.baseUrl, org.admin.token).runners.checkAuthenticationForHost({
        runnerId: watcher.runnerId,
        host: "github.com",
      }),
    );
    expect(error.code).toBe(Code.Unavailable);
  });
});

describe("what the lean path leaves to connect-es", () => {
  const body = () => envelope(watchRequest(runner.runnerId));
  const cases: [string, RawTransport, Record<string, string>, () => Uint8Array][] = [
    [
      "Connect streaming JSON",
      "HTTP/2",
      { "content-type": "application/connect+json", "connect-timeout-ms": "300" },
      () => envelope(Buffer.from(JSON.stringify({ runnerId: runner.runnerId }))),
    ],
    [
      "a gzip-compressed Connect request",
      "HTTP/1.1",
      { "content-type": "application/connect+proto", "connect-content-encoding": "gzip", "connect-timeout-ms": "300" },
      () => envelope(gzipSync(watchRequest(runner.runnerId)), 1),
    ],
    [
      "a gzip-compressed gRPC request",
      "HTTP/2",
      { "content-type": "application/grpc", te: "trailers", "grpc-encoding": "gzip", "grpc-timeout": "300m" },
      () => envelope(gzipSync(watchRequest(runner.runnerId)), 1),
    ],
    ["gRPC-Web", "HTTP/1.1", { "content-type": "application/grpc-web+proto", "grpc-timeout": "300m" }, body],
    ["gRPC over HTTP/1.1", "HTTP/1.1", { "content-type": "application/grpc", "grpc-timeout": "300m" }, body],
    [
      "a malformed Connect timeout",
      "HTTP/2",
      { "content-type": "application/connect+proto", "connect-timeout-ms": "abc" },
      body,
    ],
    [
      "a malformed gRPC timeout",
      "HTTP/2",
      { "content-type": "application/grpc", te: "trailers", "grpc-timeout": "abc" },
      body,
    ],
    ["an unknown content type", "HTTP/1.1", { "content-type": "application/x-protobuf" }, body],
  ];

  it.each(cases)("%s, answered as before", async (_name, transport, headers, makeBody) => {
    const { res, leanServed } = await sendToBoth(transport, { ...headers, ...auth(runner.token) }, makeBody());
    expect(leanServed).toBe(0);
    expect(res.status).toBeGreaterThan(0);
  });

  it("a gRPC-Web client's stream still works", async () => {
    const watcher = await createTestRunner(lean.baseUrl, org.admin.token, { name: "grpc-web" });
    const before = served.length;
    const interaction = createClient(
      RunnerInteractionService,
      createGrpcWebTransport({ baseUrl: lean.baseUrl, httpVersion: "1.1", interceptors: [bearer(watcher.token)] }),
    );
    const error = await callError(
      (async () => {
        for await (const _ of interaction.watchRequests({ runnerId: watcher.runnerId }, { timeoutMs: 500 })) {
          // nothing is sent to it
        }
      })(),
    );
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(served.length).toBe(before);
  });
});

describe("shutdown with lean streams open", () => {
  it("ends every stream cleanly, on each protocol, as connect-es does", async () => {
    const outcomes: Record<string, unknown[]> = {};
    for (const leanWatch of [{ served: () => {} }, false as const]) {
      const server = await startTestServer({ sql: db.sql, config: { shutdownTimeoutMs: 5_000 }, leanWatch });
      const watcher = await createTestRunner(server.baseUrl, org.admin.token, { name: "shutdown" });
      const loops = protocols.map(async (p) => {
        const interaction = createClient(RunnerInteractionService, p.client(server.baseUrl, watcher.token));
        try {
          for await (const _ of interaction.watchRequests({ runnerId: watcher.runnerId })) {
            // nothing is sent to it
          }
          return "ended";
        } catch (error) {
          return error;
        }
      });
      await waitForStreams(watcher.runnerId, protocols.length);
      await server.close();
      outcomes[leanWatch ? "lean" : "classic"] = await Promise.all(loops);
      expect(await streamsOf(watcher.runnerId)).toBe(0);
    }
    expect(outcomes.lean).toEqual(["ended", "ended", "ended"]);
    expect(outcomes.classic).toEqual(outcomes.lean);
  });
});
