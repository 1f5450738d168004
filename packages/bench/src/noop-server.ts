/**
 * The framework baseline: a bare connect-node server with one no-op unary method
 * (IdentityService.GetAuthenticatedIdentity returning an empty message; also
 * RunnerInteractionService.UpdateRunnerStatus for the fleet baseline), no interceptors,
 * no database. HTTP/1.1 on one port (Connect JSON) and cleartext HTTP/2 on another (gRPC).
 * Run as a child process; it reports its ports over IPC, its CPU time when asked, and exits
 * when told to.
 */
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerInteractionService } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { answerOrchestrator } from "./protocol.js";

const routes = (router: ConnectRouter) => {
  router.service(IdentityService, {
    getAuthenticatedIdentity: () => ({}),
  });
  // For the fleet baseline: the same open-loop heartbeats, answered with nothing.
  router.service(RunnerInteractionService, {
    updateRunnerStatus: () => ({}),
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
answerOrchestrator(() => {
  h1.closeAllConnections();
  h1.close();
  h2.close();
});
