/**
 * Connect unary calls beside connect-es's per-call machinery (rpc/lean-unary.ts) over the
 * real server and Postgres. As in lean-unary-grpc.test.ts: two servers on one database, with
 * the path and without, every request sent to both and the answers (status, headers, body)
 * and request log lines compared byte for byte; a test-only hook says what the path did.
 */
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { createConnectTransport } from "@connectrpc/connect-node";
import { WatchRequestsRequestSchema } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { GetRunnerRequestSchema, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
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

const observe = {
  served: (protocol: string, how: "parsed" | "replayed") => protocol === "connect" && served.push(how),
};

beforeAll(async () => {
  db = await createTestDatabase();
  lean = await startTestServer({ sql: db.sql, leanUnary: observe });
  classic = await startTestServer({ sql: db.sql, leanUnary: false });
  org = await seedOrganization(db.sql);
  runner = await createTestRunner(classic.baseUrl, org.admin.token, { name: "heartbeating" });
  otherRunner = await createTestRunner(classic.baseUrl, org.admin.token, { name: "another" });
});

afterAll(async () => {
  await lean?.close();
  await classic?.close();
  await db?.drop();
});

const json = { "content-type": "application/json" };
const proto = { "content-type": "application/proto" };
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const text = (value: unknown) => Buffer.from(JSON.stringify(value));

/** The same request to both servers; answers and log lines must be equal. */
async function sendToBoth(
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
  transport: RawTransport = "HTTP/1.1",
): Promise<{ res: RawResponse; how: ("parsed" | "replayed")[] }> {
  const before = served.length;
  const leanRes = await rawCall(transport, lean.baseUrl + path, headers, body).done;
  const how = served.slice(before);
  const classicRes = await rawCall(transport, classic.baseUrl + path, headers, body).done;
  const { requestId: leanId, ...leanAnswer } = leanRes;
  const { requestId: classicId, ...classicAnswer } = classicRes;
  expect(leanAnswer).toEqual(classicAnswer);
  expect(await requestLogLine(lean, leanId)).toEqual(await requestLogLine(classic, classicId));
  return { res: leanRes, how };
}

const errorOf = (res: RawResponse) => JSON.parse(res.unframed ?? "{}") as { code?: string; message?: string };

describe("Connect unary calls beside connect-es", () => {
  it("answers GetRunner in JSON and in binary as connect-es does, over HTTP/1.1 and HTTP/2", async () => {
    for (const transport of ["HTTP/1.1", "HTTP/2"] as const) {
      const asJson = await sendToBoth(
        getRunnerPath,
        { ...json, ...auth(org.admin.token) },
        text({ runnerId: runner.runnerId }),
        transport,
      );
      expect(asJson.how).toEqual(["parsed"]);
      expect(asJson.res.status).toBe(200);
      expect(JSON.parse(asJson.res.unframed ?? "{}").runner.runnerId).toBe(runner.runnerId);
      const binary = toBinary(GetRunnerRequestSchema, create(GetRunnerRequestSchema, { runnerId: runner.runnerId }));
      const asProto = await sendToBoth(getRunnerPath, { ...proto, ...auth(org.admin.token) }, binary, transport);
      expect(asProto.how).toEqual(["parsed"]);
      expect(asProto.res.headers["content-type"]).toBe("application/proto");
    }
  });

  it("records a runner's heartbeat, as JSON drops unknown fields", async () => {
    const { res, how } = await sendToBoth(
      heartbeatPath,
      { ...json, ...auth(runner.token) },
      text({ runnerId: runner.runnerId, version: "2.0.0", aFieldFromTheFuture: 1 }),
    );
    expect(how).toEqual(["parsed"]);
    expect(res.status).toBe(200);
    const [row] = await db.sql<{ version: string }[]>`select version from runners where id = ${runner.runnerId}`;
    expect(row?.version).toBe("2.0.0");
  });

  it("gives the same errors, statuses and retry advice", async () => {
    const heartbeat = text({ runnerId: runner.runnerId });
    const cases: [Record<string, string>, Uint8Array, string][] = [
      [{ ...json, ...auth("not-a-token") }, heartbeat, "unauthenticated"],
      [{ ...json, ...auth(org.member.token) }, heartbeat, "permission_denied"],
      [{ ...json, ...auth(otherRunner.token) }, heartbeat, "not_found"],
      [{ ...json, ...auth(runner.token) }, text({ runnerId: "not-a-uuid" }), "invalid_argument"],
      [{ ...proto, ...auth(runner.token) }, Buffer.from([0xff, 0xff, 0xff]), "invalid_argument"],
    ];
    for (const [headers, body, code] of cases) {
      const { res, how } = await sendToBoth(heartbeatPath, headers, body);
      expect(how).toEqual(["parsed"]);
      expect(res.status).not.toBe(200);
      expect(errorOf(res).code).toBe(code);
    }
    // An unknown enum value name is refused by the front door's JSON rule, on both paths.
    const { res } = await sendToBoth(
      listRunnersPath,
      { ...json, ...auth(org.admin.token) },
      text({ filter: { kinds: ["RUNNER_KIND_FROM_THE_FUTURE"] } }),
    );
    expect(errorOf(res).code).toBe("invalid_argument");
  });

  it("compresses a large answer as connect-es does when the client accepts gzip", async () => {
    for (let i = 0; i < 8; i++) await createTestRunner(classic.baseUrl, org.admin.token, { name: `listed ${i}` });
    const { res, how } = await sendToBoth(
      listRunnersPath,
      { ...json, ...auth(org.admin.token), "accept-encoding": "gzip" },
      text({}),
    );
    expect(how).toEqual(["parsed"]);
    expect(res.headers["content-encoding"]).toBe("gzip");
  });

  it("leaves a binary body over the size limit to connect-es", async () => {
    const limited = await startTestServer({ sql: db.sql, config: { maxBodyBytes: 1024 }, leanUnary: observe });
    const limitedClassic = await startTestServer({ sql: db.sql, config: { maxBodyBytes: 1024 }, leanUnary: false });
    try {
      const big = toBinary(
        GetRunnerRequestSchema,
        create(GetRunnerRequestSchema, { runnerId: `${runner.runnerId}${"x".repeat(4096)}` }),
      );
      const before = served.length;
      const headers = { ...proto, ...auth(org.admin.token) };
      const leanRes = await rawCall("HTTP/1.1", limited.baseUrl + getRunnerPath, headers, big).done;
      const classicRes = await rawCall("HTTP/1.1", limitedClassic.baseUrl + getRunnerPath, headers, big).done;
      expect(served.slice(before)).toEqual(["replayed"]);
      const { requestId: a, ...leanAnswer } = leanRes;
      const { requestId: b, ...classicAnswer } = classicRes;
      expect(leanAnswer).toEqual(classicAnswer);
      expect(errorOf(leanRes).code).toBe("resource_exhausted");
    } finally {
      await limited.close();
      await limitedClassic.close();
    }
  });

  it("leaves compressed requests, malformed timeouts and Connect streaming to connect-es", async () => {
    const body = text({ runnerId: runner.runnerId });
    for (const [headers, payload] of [
      [{ ...json, "content-encoding": "gzip" }, gzipSync(body)],
      [{ ...json, "connect-timeout-ms": "soon" }, body],
      [{ "content-type": "application/connect+json" }, encodeEnvelope(0, body)],
    ] as const) {
      const { how } = await sendToBoth(getRunnerPath, { ...headers, ...auth(org.admin.token) }, payload);
      expect(how).toEqual([]);
    }
  });

  it("keeps the client's deadline: a relayed call to a runner that never answers ends with deadline_exceeded", async () => {
    const silent = await createTestRunner(classic.baseUrl, org.admin.token, { name: "silent" });
    const watch = rawCall(
      "HTTP/2",
      `${lean.baseUrl}/gitpod.v1.RunnerInteractionService/WatchRequests`,
      { "content-type": "application/grpc", te: "trailers", ...auth(silent.token) },
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
        createConnectTransport({ baseUrl: lean.baseUrl, httpVersion: "1.1", interceptors: [bearer(org.admin.token)] }),
      );
      const error = await client
        .parseContextURL({ runnerId: silent.runnerId, contextUrl: "https://github.com/acme/repo" }, { timeoutMs: 300 })
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect(error?.code).toBe(Code.DeadlineExceeded);
      expect(served.slice(before)).toEqual(["parsed"]);
    } finally {
      watch.hangUp();
      await watch.done.catch(() => {});
    }
  });
});
