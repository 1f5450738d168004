/**
 * gRPC unary calls beside connect-es's pipeline (rpc/lean-unary.ts) over the real server
 * and Postgres. Every request goes to two servers on one database, with the path and without
 * (testing/lean-unary-pair.ts), and the answers are compared byte for byte (status, headers,
 * frames, trailers, and the request log line); a test-only hook says whether the path parsed
 * a request itself or replayed it into connect-es.
 */
import http2 from "node:http2";
import { gunzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { UpdateRunnerStatusRequestSchema } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import {
  GetRunnerRequestSchema,
  ListRunnersRequestSchema,
  ParseContextURLRequestSchema,
  RunnerService,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
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
  pair = await startLeanUnaryPair("grpc");
});
afterAll(async () => {
  await pair?.close();
});

const grpc = { "content-type": "application/grpc", te: "trailers" };
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const heartbeat = (runnerId: string) =>
  toBinary(
    UpdateRunnerStatusRequestSchema,
    create(UpdateRunnerStatusRequestSchema, { runnerId, version: "1.2.3", systemDetails: "test" }),
  );
const getRunner = (runnerId: string) => toBinary(GetRunnerRequestSchema, create(GetRunnerRequestSchema, { runnerId }));
const sendToBoth = (
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
  transport: RawTransport = "HTTP/2",
) => pair.sendToBoth(path, { ...grpc, ...headers }, body, transport);

function statusOf(res: RawResponse): { code: number; message: string | undefined } {
  const message = res.trailers["grpc-message"];
  return { code: Number(res.trailers["grpc-status"]), message: message && decodeURIComponent(message) };
}

describe("gRPC unary calls without the stream pipeline", () => {
  it("answers a runner's heartbeat as connect-es does, and records it", async () => {
    const { res, how } = await sendToBoth(
      heartbeatPath,
      auth(pair.runner.token),
      encodeEnvelope(0, heartbeat(pair.runner.runnerId)),
    );
    expect(how).toEqual(["parsed"]);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/grpc+proto");
    expect(statusOf(res)).toEqual({ code: 0, message: undefined });
    expect(res.frames).toEqual([{ flags: 0, data: Buffer.alloc(0) }]);
    const [row] = await pair.db.sql<
      { version: string }[]
    >`select version from runners where id = ${pair.runner.runnerId}`;
    expect(row?.version).toBe("1.2.3");
  });

  it("answers GetRunner with the same message, over HTTP/2 and over HTTP/1.1", async () => {
    for (const transport of ["HTTP/2", "HTTP/1.1"] as const) {
      const { res, how } = await sendToBoth(
        getRunnerPath,
        auth(pair.org.admin.token),
        encodeEnvelope(0, getRunner(pair.runner.runnerId)),
        transport,
      );
      expect(how).toEqual(["parsed"]);
      expect(statusOf(res).code).toBe(0);
      expect(res.frames).toHaveLength(1);
      expect(res.frames[0]?.data.length).toBeGreaterThan(0);
    }
  });

  it("compresses a large answer as connect-es does when the client accepts gzip", async () => {
    for (let i = 0; i < 8; i++)
      await createTestRunner(pair.lean.baseUrl, pair.org.admin.token, { name: `listed ${i}` });
    const list = toBinary(ListRunnersRequestSchema, create(ListRunnersRequestSchema, {}));
    const { res, how } = await sendToBoth(
      listRunnersPath,
      { ...auth(pair.org.admin.token), "grpc-accept-encoding": "gzip" },
      encodeEnvelope(0, list),
    );
    expect(how).toEqual(["parsed"]);
    expect(res.headers["grpc-encoding"]).toBe("gzip");
    expect(res.frames[0]?.flags).toBe(1);
    expect(gunzipSync(res.frames[0]?.data ?? Buffer.alloc(0)).length).toBeGreaterThan(0);
  });

  it("gives the same errors: unauthenticated, permission_denied, not_found and invalid_argument", async () => {
    const body = encodeEnvelope(0, heartbeat(pair.runner.runnerId));
    const badToken = await sendToBoth(heartbeatPath, auth("not-a-token"), body);
    expect(badToken.how).toEqual(["parsed"]);
    expect(statusOf(badToken.res)).toEqual({ code: Code.Unauthenticated, message: "missing or invalid bearer token" });
    const member = await sendToBoth(heartbeatPath, auth(pair.org.member.token), body);
    expect(statusOf(member.res).code).toBe(Code.PermissionDenied);
    const other = await sendToBoth(heartbeatPath, auth(pair.otherRunner.token), body);
    expect(statusOf(other.res).code).toBe(Code.NotFound);
    const invalid = await sendToBoth(
      heartbeatPath,
      auth(pair.runner.token),
      encodeEnvelope(0, heartbeat("not-a-uuid")),
    );
    expect(statusOf(invalid.res).code).toBe(Code.InvalidArgument);
    // Trailers only: no message frame with an error.
    for (const { res } of [badToken, member, other, invalid]) expect(res.frames).toEqual([]);
  });

  it("answers a message that does not decode with invalid_argument, as the patched connect-es does", async () => {
    const { res, how } = await sendToBoth(
      heartbeatPath,
      auth(pair.runner.token),
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
        Buffer.concat([
          encodeEnvelope(0, heartbeat(pair.runner.runnerId)),
          encodeEnvelope(0, heartbeat(pair.runner.runnerId)),
        ]),
    ],
    ["a compressed flag without grpc-encoding", () => encodeEnvelope(1, heartbeat(pair.runner.runnerId))],
    ["a truncated envelope", () => encodeEnvelope(0, heartbeat(pair.runner.runnerId)).subarray(0, 8)],
    ["an envelope longer than the body", () => Buffer.from([0, 0, 0, 1, 0, 1, 2, 3])],
  ])("leaves %s to connect-es, which answers it", async (_, body) => {
    const { res, how } = await sendToBoth(heartbeatPath, auth(pair.runner.token), body());
    expect(how).toEqual(["replayed"]);
    expect(statusOf(res).code).not.toBe(0);
  });

  it("leaves a body over the size limit to connect-es", async () => {
    const limited = await pair.withConfig({ maxBodyBytes: 1024 });
    try {
      const big = toBinary(
        UpdateRunnerStatusRequestSchema,
        create(UpdateRunnerStatusRequestSchema, {
          runnerId: pair.runner.runnerId,
          systemDetails: "x".repeat(4096),
        }),
      );
      const headers = { ...grpc, ...auth(pair.runner.token) };
      const before = pair.served.length;
      const [leanRes, classicRes] = await Promise.all(
        [limited.lean, limited.classic].map(
          (s) => rawCall("HTTP/2", s.baseUrl + heartbeatPath, headers, encodeEnvelope(0, big)).done,
        ),
      );
      expect(pair.served.slice(before)).toEqual(["replayed"]);
      expect({ ...leanRes, requestId: "" }).toEqual({ ...classicRes, requestId: "" });
      expect(statusOf(leanRes as RawResponse).code).toBe(Code.ResourceExhausted);
    } finally {
      await limited.close();
    }
  });

  it("leaves a body the client broke off to connect-es, which logs it as before", async () => {
    const lines: Record<string, unknown>[] = [];
    for (const server of [pair.lean, pair.classic]) {
      const before = pair.served.length;
      const logged = server.logs.length;
      const session = http2.connect(server.baseUrl);
      session.on("error", () => {});
      const stream = session.request({
        ":method": "POST",
        ":path": heartbeatPath,
        ...grpc,
        ...auth(pair.runner.token),
      });
      stream.on("error", () => {});
      const requestId = new Promise<string | undefined>((resolve) => {
        stream.on("response", (h) => resolve(h["x-request-id"] as string | undefined));
        stream.on("close", () => resolve(undefined));
      });
      // Half an envelope, then the client resets the stream.
      stream.write(encodeEnvelope(0, heartbeat(pair.runner.runnerId)).subarray(0, 10));
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
      if (server === pair.lean) expect(pair.served.slice(before)).toEqual(["replayed"]);
    }
    expect(lines[0]).toEqual(lines[1]);
    // Never answered as a success, on either path.
    expect(lines[0]?.code).not.toBe("ok");
  });

  it("leaves compressed requests, malformed timeouts, gRPC-Web and JSON to connect-es", async () => {
    const body = encodeEnvelope(0, heartbeat(pair.runner.runnerId));
    for (const headers of [
      { "grpc-encoding": "gzip" },
      { "grpc-timeout": "soon" },
      { "content-type": "application/grpc-web+proto" },
      { "content-type": "application/grpc+json" },
    ]) {
      const { how } = await sendToBoth(heartbeatPath, { ...auth(pair.runner.token), ...headers }, body);
      expect(how).toEqual([]);
    }
  });

  it("keeps the client's deadline: a relayed call to a runner that never answers ends with deadline_exceeded", async () => {
    // The runner holds a stream but never answers; the caller's grpc-timeout is 300 ms.
    const { runner: silent, stream: watch } = await pair.silentRunner();
    try {
      const before = pair.served.length;
      const client = createClient(
        RunnerService,
        createGrpcTransport({ baseUrl: pair.lean.baseUrl, interceptors: [bearer(pair.org.admin.token)] }),
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
      expect(pair.served.slice(before)).toEqual(["parsed"]);
    } finally {
      watch.hangUp();
      await watch.done.catch(() => {});
    }
  });

  it("withdraws a relayed call whose caller hangs up, on both paths", async () => {
    const body = (runnerId: string) =>
      encodeEnvelope(
        0,
        toBinary(
          ParseContextURLRequestSchema,
          create(ParseContextURLRequestSchema, { runnerId, contextUrl: "https://github.com/acme/repo" }),
        ),
      );
    expect(await pair.hangUpMidCall({ ...grpc, ...auth(pair.org.admin.token) }, body, "HTTP/2")).toEqual(["parsed"]);
  });
});
