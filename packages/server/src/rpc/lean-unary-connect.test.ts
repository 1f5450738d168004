/**
 * Connect unary calls beside connect-es's per-call machinery (rpc/lean-unary.ts) over the
 * real server and Postgres. As in lean-unary-grpc.test.ts: every request goes to two servers
 * on one database, with the path and without (testing/lean-unary-pair.ts), and the answers
 * (status, headers, body) and request log lines are compared byte for byte; a test-only hook
 * says what the path did.
 */
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { createConnectTransport } from "@connectrpc/connect-node";
import { GetRunnerRequestSchema, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestRunner } from "../testing/index.js";
import {
  getRunnerPath,
  heartbeatPath,
  type LeanUnaryPair,
  listRunnersPath,
  startLeanUnaryPair,
} from "../testing/lean-unary-pair.js";
import { type RawResponse, type RawTransport, rawCall } from "../testing/raw-stream.js";

let pair: LeanUnaryPair;
beforeAll(async () => {
  pair = await startLeanUnaryPair("connect");
});
afterAll(async () => {
  await pair?.close();
});

const json = { "content-type": "application/json" };
const proto = { "content-type": "application/proto" };
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const text = (value: unknown) => Buffer.from(JSON.stringify(value));
const sendToBoth = (
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
  transport: RawTransport = "HTTP/1.1",
) => pair.sendToBoth(path, headers, body, transport);

const errorOf = (res: RawResponse) => JSON.parse(res.unframed ?? "{}") as { code?: string; message?: string };

describe("Connect unary calls beside connect-es", () => {
  it("answers GetRunner in JSON and in binary as connect-es does, over HTTP/1.1 and HTTP/2", async () => {
    for (const transport of ["HTTP/1.1", "HTTP/2"] as const) {
      const asJson = await sendToBoth(
        getRunnerPath,
        { ...json, ...auth(pair.org.admin.token) },
        text({ runnerId: pair.runner.runnerId }),
        transport,
      );
      expect(asJson.how).toEqual(["parsed"]);
      expect(asJson.res.status).toBe(200);
      expect(JSON.parse(asJson.res.unframed ?? "{}").runner.runnerId).toBe(pair.runner.runnerId);
      const binary = toBinary(
        GetRunnerRequestSchema,
        create(GetRunnerRequestSchema, { runnerId: pair.runner.runnerId }),
      );
      const asProto = await sendToBoth(getRunnerPath, { ...proto, ...auth(pair.org.admin.token) }, binary, transport);
      expect(asProto.how).toEqual(["parsed"]);
      expect(asProto.res.headers["content-type"]).toBe("application/proto");
    }
  });

  it("records a runner's heartbeat, as JSON drops unknown fields", async () => {
    const { res, how } = await sendToBoth(
      heartbeatPath,
      { ...json, ...auth(pair.runner.token) },
      text({ runnerId: pair.runner.runnerId, version: "2.0.0", aFieldFromTheFuture: 1 }),
    );
    expect(how).toEqual(["parsed"]);
    expect(res.status).toBe(200);
    const [row] = await pair.db.sql<
      { version: string }[]
    >`select version from runners where id = ${pair.runner.runnerId}`;
    expect(row?.version).toBe("2.0.0");
  });

  it("gives the same errors, statuses and retry advice", async () => {
    const heartbeat = text({ runnerId: pair.runner.runnerId });
    const cases: [Record<string, string>, Uint8Array, string][] = [
      [{ ...json, ...auth("not-a-token") }, heartbeat, "unauthenticated"],
      [{ ...json, ...auth(pair.org.member.token) }, heartbeat, "permission_denied"],
      [{ ...json, ...auth(pair.otherRunner.token) }, heartbeat, "not_found"],
      [{ ...json, ...auth(pair.runner.token) }, text({ runnerId: "not-a-uuid" }), "invalid_argument"],
      [{ ...proto, ...auth(pair.runner.token) }, Buffer.from([0xff, 0xff, 0xff]), "invalid_argument"],
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
      { ...json, ...auth(pair.org.admin.token) },
      text({ filter: { kinds: ["RUNNER_KIND_FROM_THE_FUTURE"] } }),
    );
    expect(errorOf(res).code).toBe("invalid_argument");
  });

  it("compresses a large answer as connect-es does when the client accepts gzip", async () => {
    for (let i = 0; i < 8; i++)
      await createTestRunner(pair.classic.baseUrl, pair.org.admin.token, { name: `listed ${i}` });
    const { res, how } = await sendToBoth(
      listRunnersPath,
      { ...json, ...auth(pair.org.admin.token), "accept-encoding": "gzip" },
      text({}),
    );
    expect(how).toEqual(["parsed"]);
    expect(res.headers["content-encoding"]).toBe("gzip");
  });

  it("leaves a binary body over the size limit to connect-es", async () => {
    const limited = await pair.withConfig({ maxBodyBytes: 1024 });
    try {
      const big = toBinary(
        GetRunnerRequestSchema,
        create(GetRunnerRequestSchema, { runnerId: `${pair.runner.runnerId}${"x".repeat(4096)}` }),
      );
      const headers = { ...proto, ...auth(pair.org.admin.token) };
      const before = pair.served.length;
      const [leanRes, classicRes] = await Promise.all(
        [limited.lean, limited.classic].map((s) => rawCall("HTTP/1.1", s.baseUrl + getRunnerPath, headers, big).done),
      );
      expect(pair.served.slice(before)).toEqual(["replayed"]);
      expect({ ...leanRes, requestId: "" }).toEqual({ ...classicRes, requestId: "" });
      expect(errorOf(leanRes as RawResponse).code).toBe("resource_exhausted");
    } finally {
      await limited.close();
    }
  });

  it("leaves compressed requests, malformed timeouts and Connect streaming to connect-es", async () => {
    const body = text({ runnerId: pair.runner.runnerId });
    for (const [headers, payload] of [
      [{ ...json, "content-encoding": "gzip" }, gzipSync(body)],
      [{ ...json, "connect-timeout-ms": "soon" }, body],
      [{ "content-type": "application/connect+json" }, encodeEnvelope(0, body)],
    ] as const) {
      const { how } = await sendToBoth(getRunnerPath, { ...headers, ...auth(pair.org.admin.token) }, payload);
      expect(how).toEqual([]);
    }
  });

  it("keeps the client's deadline: a relayed call to a runner that never answers ends with deadline_exceeded", async () => {
    const { runner: silent, stream: watch } = await pair.silentRunner();
    try {
      const before = pair.served.length;
      const client = createClient(
        RunnerService,
        createConnectTransport({
          baseUrl: pair.lean.baseUrl,
          httpVersion: "1.1",
          interceptors: [bearer(pair.org.admin.token)],
        }),
      );
      const error = await client
        .parseContextURL({ runnerId: silent.runnerId, contextUrl: "https://github.com/acme/repo" }, { timeoutMs: 300 })
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect(error?.code).toBe(Code.DeadlineExceeded);
      expect(pair.served.slice(before)).toEqual(["parsed"]);
    } finally {
      watch.hangUp();
      await watch.done.catch(() => {});
    }
  });

  it("withdraws a relayed call whose caller hangs up, on both paths, over HTTP/1.1 and HTTP/2", async () => {
    const body = (runnerId: string) => text({ runnerId, contextUrl: "https://github.com/acme/repo" });
    for (const transport of ["HTTP/1.1", "HTTP/2"] as const) {
      expect(await pair.hangUpMidCall({ ...json, ...auth(pair.org.admin.token) }, body, transport)).toEqual(["parsed"]);
    }
  });
});
