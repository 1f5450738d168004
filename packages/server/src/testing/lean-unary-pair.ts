/**
 * The fixture of the lean unary path's tests (rpc/lean-unary-*.test.ts): two servers on one
 * database, `lean` as built by default and `classic` with the path turned off, an
 * organization with two runners, and the means to send one request to both and require the
 * same answer and the same request log line. A hook on `lean` records what the path did
 * with each call of the protocol under test.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { WatchRequestsRequestSchema } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { expect, vi } from "vitest";
import type { LeanUnaryProtocol } from "../rpc/lean-unary.js";
import type { ServerConfig } from "../server.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import {
  comparableLogLine,
  type RawCall,
  type RawResponse,
  type RawTransport,
  rawCall,
  requestLogLine,
} from "./raw-stream.js";
import { createTestRunner, type TestRunner } from "./runners.js";
import { type SeededOrganization, seedOrganization } from "./seed.js";
import { startTestServer, type TestServer } from "./server.js";

export type How = "parsed" | "replayed";

/** The methods the tests call: a runner's heartbeat, and three a member calls. */
export const heartbeatPath = "/gitpod.v1.RunnerInteractionService/UpdateRunnerStatus";
export const getRunnerPath = "/gitpod.v1.RunnerService/GetRunner";
export const listRunnersPath = "/gitpod.v1.RunnerService/ListRunners";
export const parseContextPath = "/gitpod.v1.RunnerService/ParseContextURL";

export interface LeanUnaryPair {
  db: TestDatabase;
  lean: TestServer;
  classic: TestServer;
  org: SeededOrganization;
  runner: TestRunner;
  otherRunner: TestRunner;
  /** What the path did with each call of the protocol, in order. */
  served: How[];
  /**
   * The same request to both servers; answers and log lines must be equal. Returns the lean
   * server's answer and what the path did with it.
   */
  sendToBoth(
    path: string,
    headers: Record<string, string>,
    body: Uint8Array,
    transport: RawTransport,
  ): Promise<{ res: RawResponse; how: How[] }>;
  /** Both kinds of server again, with other settings (a smaller body limit), closed by `close`. */
  withConfig(config: Partial<ServerConfig>): Promise<{ lean: TestServer; classic: TestServer; close(): Promise<void> }>;
  /** A runner holding a WatchRequests stream on `lean` that never answers, once registered. */
  silentRunner(): Promise<{ runner: TestRunner; stream: RawCall }>;
  /**
   * ParseContextURL to a silent runner, to each server in turn, from a caller who hangs up
   * once the runner has the call. Requires on both that the call is withdrawn (no row left)
   * and the same request log line; returns what the path did with the lean server's call.
   */
  hangUpMidCall(
    headers: Record<string, string>,
    body: (runnerId: string) => Uint8Array,
    transport: RawTransport,
  ): Promise<How[]>;
  close(): Promise<void>;
}

export async function startLeanUnaryPair(protocol: LeanUnaryProtocol): Promise<LeanUnaryPair> {
  const served: How[] = [];
  const observe = { served: (p: LeanUnaryProtocol, how: How) => (p === protocol ? served.push(how) : undefined) };
  const db = await createTestDatabase();
  const lean = await startTestServer({ sql: db.sql, leanUnary: observe });
  const classic = await startTestServer({ sql: db.sql, leanUnary: false });
  const org = await seedOrganization(db.sql);
  const runner = await createTestRunner(classic.baseUrl, org.admin.token, { name: "heartbeating" });
  const otherRunner = await createTestRunner(classic.baseUrl, org.admin.token, { name: "another" });
  /** Waits until `table` holds `n` rows of the runner. */
  const waitForRows = (table: "runner_connections" | "relay_calls", runnerId: string, n: number, timeout: number) =>
    vi.waitFor(
      async () => {
        const [row] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from ${db.sql(table)} where runner_id = ${runnerId}`;
        expect(row?.n).toBe(n);
      },
      { timeout, interval: 25 },
    );

  async function silentRunner(): Promise<{ runner: TestRunner; stream: RawCall }> {
    const silent = await createTestRunner(classic.baseUrl, org.admin.token, { name: "silent" });
    const stream = rawCall(
      "HTTP/2",
      `${lean.baseUrl}/gitpod.v1.RunnerInteractionService/WatchRequests`,
      { "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${silent.token}` },
      encodeEnvelope(
        0,
        toBinary(WatchRequestsRequestSchema, create(WatchRequestsRequestSchema, { runnerId: silent.runnerId })),
      ),
    );
    await waitForRows("runner_connections", silent.runnerId, 1, 10_000);
    return { runner: silent, stream };
  }

  return {
    db,
    lean,
    classic,
    org,
    runner,
    otherRunner,
    served,
    async sendToBoth(path, headers, body, transport) {
      const before = served.length;
      const leanRes = await rawCall(transport, lean.baseUrl + path, headers, body).done;
      const how = served.slice(before);
      const classicRes = await rawCall(transport, classic.baseUrl + path, headers, body).done;
      const { requestId: leanId, ...leanAnswer } = leanRes;
      const { requestId: classicId, ...classicAnswer } = classicRes;
      expect(leanAnswer).toEqual(classicAnswer);
      expect(await requestLogLine(lean, leanId)).toEqual(await requestLogLine(classic, classicId));
      return { res: leanRes, how };
    },
    async withConfig(config) {
      const other = await startTestServer({ sql: db.sql, config, leanUnary: observe });
      const otherClassic = await startTestServer({ sql: db.sql, config, leanUnary: false });
      return {
        lean: other,
        classic: otherClassic,
        close: async () => {
          await other.close();
          await otherClassic.close();
        },
      };
    },
    silentRunner,
    async hangUpMidCall(headers, body, transport) {
      const { runner: silent, stream } = await silentRunner();
      const lines: Record<string, unknown>[] = [];
      let how: How[] = [];
      try {
        for (const server of [lean, classic]) {
          const pushed = stream.frames.length;
          const logged = server.logs.length;
          const before = served.length;
          const call = rawCall(transport, server.baseUrl + parseContextPath, headers, body(silent.runnerId));
          const ended = call.done.then(
            () => "answered",
            () => "broken",
          );
          await vi.waitFor(() => expect(stream.frames.length).toBeGreaterThan(pushed), { timeout: 10_000 });
          call.hangUp();
          expect(await ended).toBe("broken");
          // Well before the relay's own deadline (10 s), which would withdraw it anyway.
          await waitForRows("relay_calls", silent.runnerId, 0, 3_000);
          const line = await vi.waitFor(() => {
            const found = server.logs.slice(logged).find((l) => l.msg === "request" && l.path === parseContextPath);
            if (!found) throw new Error("no request log line for the call");
            return found;
          });
          lines.push(comparableLogLine(line));
          if (server === lean) how = served.slice(before);
        }
        expect(lines[0]).toEqual(lines[1]);
        return how;
      } finally {
        stream.hangUp();
        await stream.done.catch(() => {});
      }
    },
    async close() {
      await lean.close();
      await classic.close();
      await db.drop();
    },
  };
}
