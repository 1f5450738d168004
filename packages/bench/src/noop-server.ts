/**
 * The framework baseline: a bare connect-node server with no-op methods, no interceptors,
 * no database. HTTP/1.1 on one port (Connect) and cleartext HTTP/2 on another (gRPC).
 * Run as a child process; it reports its ports over IPC, its CPU time when asked, and exits
 * when told to.
 *
 * - IdentityService.GetAuthenticatedIdentity returns an empty message (baseline-noop).
 * - RunnerInteractionService.UpdateRunnerStatus returns one too (the fleet baselines).
 * - For the connected fleet's baseline, the same RPCs and streams as the real server's
 *   connected fleet, with nothing behind them but a map in memory: WatchRequests holds the
 *   stream, and sends an empty message at once (it stands in for the server's registration,
 *   which the fleet reads from Postgres: the fleet counts a stream as held once that first
 *   message arrives); ParseContextURL pushes the call to a stream of the runner named and
 *   answers with what SendResponse brings back, or at once when no stream of the
 *   runner is held. No check of tokens, no statement, no relay rows.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import {
  RunnerInteractionService,
  type WatchRequestsResponse,
  WatchRequestsResponseSchema,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { type ParseContextURLResponse, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { AsyncQueue } from "@runnerplane/server/harness";
import { answerOrchestrator } from "./protocol.js";

/** A held stream: what ParseContextURL pushes to it. */
type Push = (message: WatchRequestsResponse) => void;
const streams = new Map<string, Push>();
/** Calls waiting for their answer, by request id: given what the runner answered. */
const waiting = new Map<string, (answer: ParseContextURLResponse | undefined) => void>();

const routes = (router: ConnectRouter) => {
  router.service(IdentityService, {
    getAuthenticatedIdentity: () => ({}),
  });
  router.service(RunnerInteractionService, {
    updateRunnerStatus: () => ({}),
    async *watchRequests(req, ctx) {
      const queue = new AsyncQueue<WatchRequestsResponse>();
      queue.push(create(WatchRequestsResponseSchema));
      const push: Push = (message) => queue.push(message);
      streams.set(req.runnerId, push);
      ctx.signal.addEventListener("abort", () => queue.close(), { once: true });
      try {
        yield* queue;
      } finally {
        if (streams.get(req.runnerId) === push) streams.delete(req.runnerId);
      }
    },
    sendResponse: (req) => {
      const done = waiting.get(req.requestId);
      waiting.delete(req.requestId);
      done?.(req.response.case === "callParseContext" ? req.response.value.resp : undefined);
      return {};
    },
  });
  router.service(RunnerService, {
    parseContextURL: async (req) => {
      const push = streams.get(req.runnerId);
      if (!push) return {};
      const requestId = randomUUID();
      const answered = new Promise<ParseContextURLResponse | undefined>((resolve) => waiting.set(requestId, resolve));
      push(
        create(WatchRequestsResponseSchema, {
          requestId,
          request: { case: "callParseContext", value: { contextUrl: req.contextUrl } },
        }),
      );
      return (await answered) ?? {};
    },
  });
};

const handler = connectNodeAdapter({ routes });
const h1 = http.createServer({ keepAliveTimeout: 5_000 }, handler);
const h2 = http2.createServer({}, handler);

const listen = (server: http.Server | http2.Http2Server) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });

const [connectPort, grpcPort] = await Promise.all([listen(h1), listen(h2)]);
process.send?.({ type: "ready", connectPort, grpcPort });
answerOrchestrator(
  () => {
    h1.closeAllConnections();
    h1.close();
    h2.close();
  },
  { streams: () => streams.size },
);
